# The reverse proxy: Debian's nginx, configured at start from deploy/nginx.conf.template by deploy/proxy.py
# (the same template and renderer the proxy test uses). Environment: PCD_APP_SERVERS ("app:8501"),
# PCD_PROXY_LISTEN (80), PCD_SECURE_COOKIE (true behind TLS).
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx python3-minimal \
    && rm -rf /var/lib/apt/lists/*
COPY deploy/proxy.py deploy/nginx.conf.template /etc/pcd/
EXPOSE 80
CMD ["sh", "-c", "python3 /etc/pcd/proxy.py --out /etc/nginx/pcd.conf && exec nginx -c /etc/nginx/pcd.conf"]
