# Stand-in for redis:7 on a machine that reaches no container registry: Debian's Redis 7, run as the redis
# user in /data like the official image, open to the container network. Built by infra/test/base-images.sh.
FROM debian:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir /data && chown redis:redis /data
WORKDIR /data
VOLUME /data
# As the official image: without a config file, protected mode is off (the container network is the fence).
ENTRYPOINT ["sh", "-c", "if [ \"$1\" = redis-server ]; then shift; set -- redis-server --protected-mode no \"$@\"; fi; exec setpriv --reuid redis --regid redis --init-groups \"$@\"", "--"]
EXPOSE 6379
CMD ["redis-server"]
