#!/usr/bin/env bash
# Install the app on a Debian 12 server (or in the Docker image).
#
#   deploy/install.sh --system     system packages only: Chromium (image export),
#                                  fonts-nanum (Korean labels), Python venv support
#   deploy/install.sh              system packages, a non-root user `lnapp`, the app
#                                  in /opt/ln-cohort with its pinned Python packages,
#                                  and the privacy configuration
#
# Run as root. Idempotent. .ci/run calls it with --system.
set -euo pipefail

APP_DIR=${APP_DIR:-/opt/ln-cohort}
APP_USER=${APP_USER:-lnapp}
SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
export DEBIAN_FRONTEND=noninteractive
# Debian's own Python: the service user must be able to read the interpreter and its
# standard library (a per-user Python under /root is not readable by it).
PY=/usr/bin/python3

install_system() {
  local need=()
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
  fc-list :lang=ko 2>/dev/null | grep -qi nanum || need+=(fonts-nanum)
  [ -x "$PY" ] && "$PY" -c 'import venv, ensurepip' 2>/dev/null || need+=(python3 python3-venv)
  command -v make >/dev/null 2>&1 || need+=(make)
  if ((${#need[@]})); then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  # Korean group names and the Korean interface in PNG/SVG need a Korean font for Chromium
  # (kaleido); without one they are drawn as empty boxes (core/report/fonts.py warns too).
  if ! fc-list :lang=ko | grep -q .; then
    echo "deploy/install.sh: no Korean font found by fontconfig (fc-list :lang=ko)" >&2
    exit 1
  fi
}

install_app() {
  id -u "$APP_USER" >/dev/null 2>&1 || useradd --system --create-home --shell /usr/sbin/nologin "$APP_USER"
  mkdir -p "$APP_DIR"
  # Code only: never copy data, caches or a developer's virtualenv.
  tar -C "$SRC_DIR" --exclude=.venv --exclude=.git --exclude=tests --exclude=bench/data \
      --exclude='__pycache__' -cf - . | tar -C "$APP_DIR" -xf -
  "$PY" -m venv "$APP_DIR/.venv"
  "$APP_DIR/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$APP_DIR/requirements.txt"
  chown -R root:root "$APP_DIR"
  chmod -R a+rX,go-w "$APP_DIR"
  # The app writes nothing; give its user no write access to the code or the config.
  cat > "$APP_DIR/run.sh" <<RUN
#!/usr/bin/env bash
# Start the app as $APP_USER. Put TMPDIR on a tmpfs: uploads over 1 MB are spooled there.
cd "$APP_DIR"
export TMPDIR=\${TMPDIR:-/dev/shm}
exec "$APP_DIR/.venv/bin/python" -m streamlit run app.py --server.address=\${LN_ADDRESS:-127.0.0.1} --server.port=\${LN_PORT:-8501}
RUN
  chmod 755 "$APP_DIR/run.sh"
  echo "Installed in $APP_DIR; start with: runuser -u $APP_USER -- $APP_DIR/run.sh"
}

install_system
[ "${1:-}" = "--system" ] || install_app
