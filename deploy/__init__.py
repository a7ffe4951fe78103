"""Running the dashboard on more than one server: the nginx proxy's configuration (proxy.py) and a
local stack of app processes behind nginx (local.py). Containers: Dockerfile and compose.yaml here."""
