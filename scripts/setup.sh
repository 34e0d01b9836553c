#!/usr/bin/env bash
# Installs everything musicmap-desktop needs into ./.venv. Safe to run again:
# it does nothing when the environment already matches pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: ffmpeg (test audio, decoding), the libraries Qt's widgets and
# QtMultimedia load at run time, xvfb for screenshots of the real window, and the
# freedesktop validators the tests run on resources/ (desktop-file-utils, appstream), and for
# the MPRIS tests a private session bus (dbus: dbus-daemon, dbus-send, dbus-monitor) and playerctl.
apt_packages=(ffmpeg libpulse0 libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1
  libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 xvfb
  desktop-file-utils appstream dbus playerctl)
python3 -c 'import ensurepip, venv' 2>/dev/null || apt_packages+=(python3-venv)

if command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "musicmap-desktop needs these Debian packages; install them with:" >&2
      echo "  sudo apt-get install -y ${missing[*]}" >&2
    fi
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.musicmap-installed
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first, pinned: this build is CPU-only and small; the project itself
  # accepts any torch>=2.3 so users can bring their own CUDA build.
  .venv/bin/python -c 'import torch' 2>/dev/null || .venv/bin/python -m pip install -q torch==2.13.0
  .venv/bin/python -m pip install -q -e ".[test]"
  echo "$want" > "$stamp"
fi
