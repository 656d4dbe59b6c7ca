#!/bin/sh
# Deploys the certificate of {{.Domain}} to Prosody{{if .TURN}} and coturn{{end}}, then reloads what
# serves it. Written by jitsi-installer.
#
# certbot runs it after each renewal with RENEWED_LINEAGE and RENEWED_DOMAINS
# set; the installer runs it without them to deploy the current certificate.
# Prosody's certificate for auth.{{.Domain}} is never touched: Jicofo and the
# videobridge trust it through the system CA store.
set -eu

domain={{sh .Domain}}
# Prefix for every path below; empty on a real host.
root="${JITSI_INSTALLER_ROOT:-}"

if [ -n "${RENEWED_LINEAGE:-}" ]; then
    case " ${RENEWED_DOMAINS:-} " in
        *" $domain "*) ;;
        *) exit 0 ;; # another certificate on this host
    esac
    cert="$RENEWED_LINEAGE/fullchain.pem"
    key="$RENEWED_LINEAGE/privkey.pem"
else
    cert="$root"{{sh .CertFile}}
    key="$root"{{sh .KeyFile}}
fi

umask 077
tmp=
trap 'rm -f "$tmp"' EXIT

# put SRC DEST OWNER MODE replaces DEST in one rename. A symlink the package
# left at DEST becomes a file; what it pointed to stays as it was.
put() {
    tmp=$(mktemp "$2.XXXXXX")
    cat "$1" >"$tmp"
    chown "$3" "$tmp"
    chmod "$4" "$tmp"
    mv -f "$tmp" "$2"
    tmp=
}

put "$cert" "$root/etc/prosody/certs/$domain.crt" root:prosody 0640
put "$key" "$root/etc/prosody/certs/$domain.key" root:prosody 0640
{{- if .TURN}}

# coturn runs as turnserver and cannot read certbot's archive. It must pass
# through /etc/coturn: set its mode here, or the umask above leaves a new one
# 0700 root:root and coturn starts without its TLS listener.
mkdir -p "$root/etc/coturn/certs"
chown root:root "$root/etc/coturn"
chmod 0755 "$root/etc/coturn"
chown turnserver:turnserver "$root/etc/coturn/certs"
chmod 0700 "$root/etc/coturn/certs"
put "$cert" "$root/etc/coturn/certs/$domain.fullchain.pem" turnserver:turnserver 0400
put "$key" "$root/etc/coturn/certs/$domain.privkey.pem" turnserver:turnserver 0400
{{- end}}

active() {
    command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$1"
}

# Each service is reloaded even if another one fails; the exit status tells.
status=0
# Prosody reloads its certificates with its configuration.
if active prosody; then
    systemctl reload prosody || status=1
fi
if active nginx; then
    if nginx -t -q; then
        systemctl reload nginx || status=1
    else
        echo "jitsi-installer deploy hook: nginx -t failed, nginx not reloaded" >&2
        status=1
    fi
fi
{{- if .TURN}}
# coturn reads its certificate at start only.
if active coturn; then
    systemctl restart coturn || status=1
fi
{{- end}}
exit "$status"
