-- wrk: POST /oauth/token with the client_credentials grant (the client id and secret from the environment).
wrk.method = "POST"
wrk.path = "/oauth/token"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=client_credentials&scope=catalog%3Aread&client_id=" .. os.getenv("WRK_CLIENT_ID")
  .. "&client_secret=" .. os.getenv("WRK_CLIENT_SECRET")
