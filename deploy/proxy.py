"""The nginx configuration in front of the app replicas, from ONE template (deploy/nginx.conf.template).

    python deploy/proxy.py --servers "app1:8501 app2:8501" --listen 80 --out /etc/nginx/nginx.conf

The compose proxy runs this at start (its servers and options come from the environment), and the
proxy test and the load benchmark call `render()` with 127.0.0.1 ports. Standard library only: the
proxy image is Debian's nginx with python3-minimal.
"""

import argparse
import os
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
FIELDS = ("PCD_RUN_DIR", "PCD_ERROR_LOG", "PCD_ACCESS_LOG", "PCD_COOKIE_FLAGS", "PCD_UPSTREAM_SERVERS",
          "PCD_LISTEN")


def upstream_lines(servers: list[str], max_fails: int = 3, fail_timeout: int = 10) -> str:
    """One `server` line per replica ("host:port"); a replica that fails is left out for `fail_timeout` s."""
    if not servers:
        raise ValueError("at least one app server (host:port) is needed")
    return "\n".join(f"        server {s} max_fails={max_fails} fail_timeout={fail_timeout}s;" for s in servers)


def render(servers: list[str], listen: str, run_dir: str, access_log: str = "/dev/stdout",
           error_log: str = "stderr", secure_cookie: bool = False) -> str:
    """The whole nginx.conf for `servers` behind `listen` ("8080" or "127.0.0.1:8080")."""
    values = {"PCD_RUN_DIR": run_dir, "PCD_ERROR_LOG": error_log, "PCD_ACCESS_LOG": access_log,
              "PCD_COOKIE_FLAGS": "; Secure" if secure_cookie else "",
              "PCD_UPSTREAM_SERVERS": upstream_lines(servers), "PCD_LISTEN": str(listen)}
    text = TEMPLATE.read_text(encoding="utf-8")
    for name in FIELDS:
        text = text.replace("${" + name + "}", values[name])
    if "${PCD_" in text:
        raise ValueError("the template names a field render() does not fill")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default=os.environ.get("PCD_APP_SERVERS", "app1:8501 app2:8501"),
                        help="replicas, space separated host:port (env PCD_APP_SERVERS)")
    parser.add_argument("--listen", default=os.environ.get("PCD_PROXY_LISTEN", "80"))
    parser.add_argument("--run-dir", default="/var/lib/nginx/pcd")
    parser.add_argument("--secure-cookie", action="store_true",
                        default=os.environ.get("PCD_SECURE_COOKIE", "").lower() == "true",
                        help="mark the route cookie Secure (TLS in front of the proxy; env PCD_SECURE_COOKIE)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    Path(args.run_dir).mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(render(args.servers.split(), args.listen, args.run_dir,
                                     secure_cookie=args.secure_cookie), encoding="utf-8")


if __name__ == "__main__":
    main()
