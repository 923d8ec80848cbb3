#!/usr/bin/env bash
# Builds a PostgreSQL image with no container registry: debootstrap a minimal Debian from the
# package mirror this machine's apt already uses, install the distribution's PostgreSQL, and
# `docker import` it with an entrypoint that honours the official postgres image's contract.
#
#   images/postgres/build.sh MAJOR [--force]
#
# MAJOR 15 comes from Debian 12 (bookworm), 17 from Debian 13 (trixie), 18 from Debian 14 (forky,
# testing at the time of writing; sid when the mirror has no forky). The image is tagged
# rehearse/postgres:MAJOR and postgres:MAJOR, so rehearse's default image name works offline.
# An existing rehearse/postgres:MAJOR is kept unless --force is given.
#
# REHEARSE_DEBIAN_MIRROR overrides the mirror found in the apt sources.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

say() { printf 'build.sh: %s\n' "$*"; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

major=""
force=0
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $arg (usage: build.sh MAJOR [--force])" ;;
        *) [ -z "$major" ] || die "one MAJOR only (usage: build.sh MAJOR [--force])"; major="$arg" ;;
    esac
done
[ -n "$major" ] || die "usage: build.sh MAJOR [--force], MAJOR being 15, 17 or 18"

case "$major" in
    15) suite=bookworm; debian=12 ;;
    17) suite=trixie; debian=13 ;;
    # Debian 14 is not released yet: its testing suite, or unstable when the mirror lacks it.
    18) suite=forky; debian=14; fallback_suite=sid ;;
    *) die "PostgreSQL $major is not the default PostgreSQL of a Debian release this script knows: use 15 (Debian 12 bookworm), 17 (Debian 13 trixie) or 18 (Debian 14 forky)" ;;
esac

image="rehearse/postgres:$major"
alias_tag="postgres:$major"

command -v docker >/dev/null || die "docker is not installed"
docker info >/dev/null 2>&1 || die "the Docker daemon does not answer (is it running, and may this user use it?)"

if [ "$force" = 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
    say "$image already exists; not rebuilding (use --force to rebuild)"
    if ! docker image inspect "$alias_tag" >/dev/null 2>&1; then
        docker tag "$image" "$alias_tag"
        say "tagged $alias_tag"
    fi
    exit 0
fi

[ "$(id -u)" = 0 ] || die "debootstrap needs root: run this script as root (e.g. with sudo)"

if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

# The Debian mirror from the apt sources: one-line `deb URI suite ...` entries in sources.list and
# *.list, and deb822 stanzas (`URIs:`) in *.sources. A Debian mirror is one whose suites include a
# plain Debian codename (not -security or -updates, which live elsewhere or lack packages).
debian_mirror() {
    local codenames='^(buster|bullseye|bookworm|trixie|forky|sid|stable|testing|unstable|oldstable)$'
    {
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$f" ] || continue
            # deb [opts] URI SUITE COMPONENTS...
            sed -e 's/#.*//' "$f" | awk '$1 == "deb" {
                i = 2
                if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                print $i, $(i + 1)
            }'
        done
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] || continue
            # One "URI SUITE" line per pair of each enabled deb stanza.
            sed -e '/^[[:space:]]*#/d' -e 's/#.*//' "$f" | awk '
                function flush() {
                    isdeb = 0
                    nt = split(types, t, /[ \t]+/)
                    for (k = 1; k <= nt; k++) if (t[k] == "deb") isdeb = 1
                    if (isdeb && enabled != "no")
                        for (u = 1; u <= nu; u++) for (s = 1; s <= ns; s++) print uris[u], suites[s]
                    types = ""; enabled = ""; nu = 0; ns = 0
                }
                /^[ \t]*$/ { flush(); next }
                tolower($1) == "types:" { types = $0; sub(/^[^:]*:[ \t]*/, "", types) }
                tolower($1) == "enabled:" { enabled = tolower($2) }
                tolower($1) == "uris:" { for (i = 2; i <= NF; i++) uris[++nu] = $i }
                tolower($1) == "suites:" { for (i = 2; i <= NF; i++) suites[++ns] = $i }
                END { flush() }'
        done
    } | while read -r uri suite_name; do
        if [[ "$suite_name" =~ $codenames ]]; then printf '%s\n' "${uri%/}"; fi
    done | head -n 1 || true
}

mirror="${REHEARSE_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
    mirror="$(debian_mirror)"
    [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/ (set REHEARSE_DEBIAN_MIRROR to one)"
    say "Debian mirror from the apt sources: $mirror"
else
    say "Debian mirror from REHEARSE_DEBIAN_MIRROR: $mirror"
fi

# apt may reach the mirror through a proxy that debootstrap (wget) does not know about.
if [ -z "${http_proxy:-}" ]; then
    proxy="$(apt-config shell p Acquire::http::Proxy | sed -n "s/^p='\(.*\)'$/\1/p")"
    if [ -n "$proxy" ] && [ "$proxy" != DIRECT ]; then
        export http_proxy="$proxy"
        say "using apt's HTTP proxy"
    fi
fi

fetch() {
    if command -v curl >/dev/null; then curl -fsS -m 30 -o "$2" "$1"
    elif command -v wget >/dev/null; then wget -q -T 30 -O "$2" "$1"
    else /usr/lib/apt/apt-helper download-file "$1" "$2" >/dev/null
    fi
}

work="$(mktemp -d /tmp/rehearse-postgres-build.XXXXXX)"
cleanup() {
    # debootstrap may leave proc/sys mounted inside the rootfs when it fails.
    for m in proc sys dev/pts dev; do umount -l "$work/rootfs/$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT

if ! fetch "$mirror/dists/$suite/Release" "$work/Release" 2>/dev/null && [ -n "${fallback_suite:-}" ] \
        && fetch "$mirror/dists/$fallback_suite/Release" "$work/Release" 2>/dev/null; then
    say "the mirror has no $suite; using $fallback_suite"
    suite="$fallback_suite"
fi
[ -s "$work/Release" ] \
    || die "the mirror $mirror does not serve Debian $debian ($suite), which PostgreSQL $major needs; point REHEARSE_DEBIAN_MIRROR at a mirror that does"

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
keyring_arg=()
if [ -f "$keyring" ]; then
    keyring_arg=(--keyring="$keyring")
fi

# An older debootstrap has no script for a newer suite; Debian's scripts for it are sid's.
script_arg=()
if [ ! -e "/usr/share/debootstrap/scripts/$suite" ]; then
    script_arg=(/usr/share/debootstrap/scripts/sid)
fi

started=$(date +%s)
rootfs="$work/rootfs"
say "debootstrap Debian $debian ($suite) with postgresql-$major into $rootfs"
# minbase and no recommends: essential packages plus postgresql and its dependencies.
if ! debootstrap --variant=minbase --components=main --include="postgresql-$major" \
        "${keyring_arg[@]}" "$suite" "$rootfs" "$mirror" "${script_arg[@]}" >"$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    [ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 20 "$rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap of Debian $suite from $mirror failed (log above)"
fi
say "debootstrap done in $(( $(date +%s) - started ))s"

bindir="/usr/lib/postgresql/$major/bin"
[ -x "$rootfs$bindir/postgres" ] || die "postgresql-$major did not install $bindir/postgres"
for tool in setpriv runuser su; do
    if chroot "$rootfs" sh -c "command -v $tool" >/dev/null 2>&1; then
        privdrop="$tool"
        break
    fi
done
[ -n "${privdrop:-}" ] || die "the rootfs has none of setpriv, runuser, su to drop root privileges"

say "trimming the rootfs"
# The package's own cluster (created by its postinst) is not used: the entrypoint runs initdb.
rm -rf "$rootfs/var/lib/postgresql/$major" "$rootfs/etc/postgresql/$major"
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/locale/* "$rootfs"/var/log/* "$rootfs"/debootstrap "$rootfs"/tmp/*
install -m 0755 "$here/entrypoint.sh" "$rootfs/usr/local/bin/docker-entrypoint.sh"
sed -i "s/^PRIVDROP=.*/PRIVDROP=$privdrop/" "$rootfs/usr/local/bin/docker-entrypoint.sh"
mkdir -p "$rootfs/var/lib/postgresql/data" "$rootfs/run/postgresql"
chroot "$rootfs" chown -R postgres:postgres /var/lib/postgresql /run/postgresql
chmod 0700 "$rootfs/var/lib/postgresql/data"
chmod 2775 "$rootfs/run/postgresql"

say "importing into Docker as $image"
previous="$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)"
tar --numeric-owner -C "$rootfs" -c . | docker import \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["postgres"]' \
    --change 'EXPOSE 5432' \
    --change "ENV PATH=$bindir:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change 'ENV PGDATA=/var/lib/postgresql/data' \
    --change 'ENV LANG=C.UTF-8' \
    --change "ENV PG_MAJOR=$major" \
    --change "LABEL org.opencontainers.image.description=\"PostgreSQL $major from Debian $suite, built offline by rehearse images/postgres/build.sh\"" \
    - "$image" >/dev/null
docker tag "$image" "$alias_tag"
if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
    # The image this one replaces, unless something still uses it.
    docker image rm "$previous" >/dev/null 2>&1 || true
fi
size="$(docker image inspect -f '{{.Size}}' "$image")"
say "built $image and $alias_tag ($(( size / 1024 / 1024 )) MB) in $(( $(date +%s) - started ))s"
