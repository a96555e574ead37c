#!/usr/bin/env bash
# Make this machine able to build and test Kantor. Idempotent, and quiet and quick when all is there.
#
#   - checks the toolchains: cargo/rustc >= 1.85, node >= 20, npm (installs none of them)
#   - installs the Debian packages the tests need, only if one is missing:
#       postgresql (server), nats-server, chromium, coturn, python3-aiosmtpd, snowball-data,
#       python3-icalendar
#       (+ gcc/libc6-dev when there is no C compiler: Rust needs one to link)
#   - runs `npm ci` in web/ and e2e/ when node_modules is missing or older than package-lock.json
#
# Environment: SETUP_SKIP_APT=1 skips the Debian packages, SETUP_SKIP_NPM=1 skips npm ci.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

# rustup installs into ~/.cargo/bin, which non-login shells may not have on PATH.
if [[ -d ${CARGO_HOME:-$HOME/.cargo}/bin ]]; then
  PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

say() { echo "setup: $*" >&2; }
problems=()

# ---------------------------------------------------------------- toolchains
version_ge() { # have want
  [[ $(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1) == "$2" ]]
}

check_tool() { # name min-version version-command...
  local name=$1 min=$2
  shift 2
  if ! command -v "$name" >/dev/null 2>&1; then
    problems+=("$name is missing (need >= $min)")
    return
  fi
  local v
  v=$("$@" 2>/dev/null | grep -Eo '[0-9]+\.[0-9]+(\.[0-9]+)?' | head -n1 || true)
  if [[ -z $v ]]; then
    problems+=("$name: could not read its version (need >= $min)")
  elif ! version_ge "$v" "$min"; then
    problems+=("$name $v is too old (need >= $min)")
  fi
}

check_tool cargo 1.85 cargo --version
check_tool rustc 1.85 rustc --version
check_tool node 20.19 node --version   # vite 8 (web/) needs ^20.19
check_tool npm 9 npm --version
command -v python3 >/dev/null 2>&1 || problems+=("python3 is missing (apt-get install python3)")

if ((${#problems[@]})); then
  say "missing toolchain pieces:"
  for p in "${problems[@]}"; do echo "  - $p" >&2; done
  cat >&2 <<'EOF'
  Rust:    curl https://sh.rustup.rs -sSf | sh -s -- -y   (then: source ~/.cargo/env)
  Node.js: version 20.19 or newer (Debian 12's own nodejs is 18; use NodeSource or nvm)
EOF
  exit 1
fi

# ---------------------------------------------------------------- Debian packages
have_pg_server() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }
have_aiosmtpd() { # Debian's package: the SMTP test runs it with /usr/bin/python3
  /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1
}

apt_wait() {
  # Another apt/dpkg run (e.g. a background install) holds the locks: wait for it.
  local waited=0
  while pgrep -x apt-get >/dev/null || pgrep -x dpkg >/dev/null || pgrep -x apt >/dev/null; do
    ((waited == 0)) && say "waiting for another apt-get/dpkg to finish..."
    waited=1
    sleep 2
  done
}

apt_candidate() { # package -> prints the candidate version, nothing if none
  apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { if ($2 != "(none)") print $2 }'
}

apt_lists_present() { compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; }

apt_needed=()
have_pg_server || apt_needed+=(postgresql)
command -v nats-server >/dev/null 2>&1 || [[ -x /usr/sbin/nats-server ]] || apt_needed+=(nats-server)
[[ -x /usr/bin/chromium ]] || apt_needed+=(chromium)
command -v turnserver >/dev/null 2>&1 || [[ -x /usr/bin/turnserver ]] || apt_needed+=(coturn)
command -v cc >/dev/null 2>&1 || apt_needed+=(gcc libc6-dev)
# Snowball's own stemmer test vocabularies (kantor-core's search tests check every word).
[[ -f /usr/share/snowball/data/indonesian/voc.txt ]] || apt_needed+=(snowball-data)
# A real iCalendar parser reads the .ics kantor-core's schedule tests write.
/usr/bin/python3 -c 'import icalendar' >/dev/null 2>&1 || apt_needed+=(python3-icalendar)
want_aiosmtpd=0
have_aiosmtpd || want_aiosmtpd=1

if [[ ${SETUP_SKIP_APT:-} == 1 ]]; then
  ((${#apt_needed[@]})) && say "SETUP_SKIP_APT=1: not installing ${apt_needed[*]}"
elif ((${#apt_needed[@]} || want_aiosmtpd)); then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "no apt-get here; install these yourself: ${apt_needed[*]} $( ((want_aiosmtpd)) && echo python3-aiosmtpd)"
    ((${#apt_needed[@]})) && exit 1
  elif [[ $(id -u) -ne 0 ]]; then
    if ((${#apt_needed[@]})); then
      say "missing Debian packages: ${apt_needed[*]}"
      say "run as root to install them:  sudo scripts/setup.sh   (or: sudo make test)"
      exit 1
    fi
    # Only the optional SMTP test helper is missing: not worth failing for.
  else
    # python3-aiosmtpd (for the SMTP test) is in Debian 12; add it when the archive has it.
    # With only aiosmtpd missing and fresh lists saying it does not exist, don't apt at all.
    apt_wait
    if ((${#apt_needed[@]} == 0)) && apt_lists_present && [[ -z $(apt_candidate python3-aiosmtpd) ]]; then
      want_aiosmtpd=0
      [[ -f $ROOT/.tmp/aiosmtpd-unavailable ]] || {
        say "note: python3-aiosmtpd is not available from apt here; the SMTP test will be skipped"
        mkdir -p "$ROOT/.tmp" && : >"$ROOT/.tmp/aiosmtpd-unavailable"
      }
    else
      say "installing Debian packages: ${apt_needed[*]} $( ((want_aiosmtpd)) && echo python3-aiosmtpd)"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -q -o DPkg::Lock::Timeout=600
      if ((want_aiosmtpd)) && [[ -z $(apt_candidate python3-aiosmtpd) ]]; then
        say "note: python3-aiosmtpd is not available from apt here; the SMTP test will be skipped"
        want_aiosmtpd=0
      fi
      pkgs=("${apt_needed[@]}")
      ((want_aiosmtpd)) && pkgs+=(python3-aiosmtpd)
      if ((${#pkgs[@]})); then
        apt_wait
        apt-get install -y -q -o DPkg::Lock::Timeout=600 "${pkgs[@]}"
      fi
      # Debian's postgresql package may start a system cluster on 5432; tests use their own.
    fi
  fi
  # Re-check what matters.
  still=()
  have_pg_server || still+=(postgresql)
  command -v nats-server >/dev/null 2>&1 || [[ -x /usr/sbin/nats-server ]] || still+=(nats-server)
  [[ -x /usr/bin/chromium ]] || still+=(chromium)
  command -v turnserver >/dev/null 2>&1 || [[ -x /usr/bin/turnserver ]] || still+=(coturn)
  if ((${#still[@]})) && [[ ${SETUP_SKIP_APT:-} != 1 ]]; then
    say "still missing after install: ${still[*]}"
    exit 1
  fi
fi

# ---------------------------------------------------------------- PyPI
# moto's S3-compatible server backs the object-store test (no S3 server is packaged in Debian).
if [[ ${SETUP_SKIP_PIP:-} != 1 ]] && ! python3 -c 'import moto.server, flask_cors' >/dev/null 2>&1; then
  say "pip install moto[server] (S3-compatible test server)"
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]>=5,<6' ||
    { say "could not install moto[server] with $(command -v python3)"; exit 1; }
fi

# ---------------------------------------------------------------- npm ci
npm_ci_if_stale() { # dir
  local d=$1
  [[ -f $d/package.json ]] || return 0
  if [[ ! -f $d/package-lock.json ]]; then
    say "$d has no package-lock.json; skipping npm ci"
    return 0
  fi
  # npm writes node_modules/.package-lock.json on every install: use it as the install stamp.
  local stamp=$d/node_modules/.package-lock.json
  if [[ -d $d/node_modules && -f $stamp && ! $d/package-lock.json -nt $stamp ]]; then
    return 0
  fi
  say "npm ci in $d"
  # e2e uses the system Chromium; never download Playwright's browsers.
  (cd "$d" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
}

if [[ ${SETUP_SKIP_NPM:-} != 1 ]]; then
  npm_ci_if_stale "$ROOT/web"
  npm_ci_if_stale "$ROOT/e2e"
fi
