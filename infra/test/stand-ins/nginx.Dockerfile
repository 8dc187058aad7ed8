# Stand-in for nginx:1.27 on a machine that reaches no container registry: Debian's nginx-light, run in the
# foreground like the official image (compose.yaml mounts its own nginx.conf). Built by
# infra/test/base-images.sh.
FROM debian:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default
STOPSIGNAL SIGQUIT
EXPOSE 80
CMD ["nginx", "-g", "daemon off;"]
