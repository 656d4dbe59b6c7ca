# Shell functions shared by the stand-in maintainer scripts. The repository
# builder pastes this file in place of the marker line in each script.
# Call them after sourcing /usr/share/debconf/confmodule.

standin_fail() {
    echo "${DPKG_MAINTSCRIPT_PACKAGE:-standin}: $*" >&2
    exit 1
}

# standin_require QUESTION [allow-empty]
# The real packages ask these questions at a critical priority: without an
# answer an unattended install waits at a prompt forever. A preseeded
# question (debconf-set-selections) is marked seen, so "not seen" is the
# honest test for "nobody answered it". Leaves the answer in RET.
standin_require() {
    _q=$1
    if ! db_fget "$_q" seen; then
        standin_fail "$_q is not preseeded: debconf does not know the question"
    fi
    if [ "$RET" != "true" ]; then
        standin_fail "$_q is not preseeded: an unattended install must set it with debconf-set-selections (the real package would wait at a prompt)"
    fi
    db_get "$_q"
    if [ -z "$RET" ] && [ "${2:-}" != "allow-empty" ]; then
        standin_fail "$_q is preseeded but empty"
    fi
}

# standin_require_value QUESTION HINT
# For answers that another package's postinst normally sets before this one
# runs (a secret the bridge generates, say): an empty value is what would
# make the real package prompt.
standin_require_value() {
    db_get "$1"
    if [ -z "$RET" ]; then
        standin_fail "$1 is empty: $2"
    fi
}

STANDIN_CHOICE_LE="Let's Encrypt certificates"
STANDIN_CHOICE_OWN="I want to use my own certificate"
STANDIN_CHOICE_SELF="Generate a new self-signed certificate"

# standin_check_answers PACKAGE
# The debconf answers PACKAGE's postinst needs before it can run unattended.
# README.md lists the same policy.
standin_check_answers() {
    case "$1" in
    jitsi-videobridge2|jicofo|jitsi-meet-prosody|jitsi-meet-turnserver)
        standin_require jitsi-videobridge/jvb-hostname
        ;;
    jitsi-meet-web-config)
        standin_require jitsi-videobridge/jvb-hostname
        standin_require jitsi-meet/cert-choice
        case "$RET" in
        "$STANDIN_CHOICE_LE")
            standin_require jitsi-meet/email
            ;;
        "$STANDIN_CHOICE_OWN")
            standin_require jitsi-meet/cert-path-key
            standin_require jitsi-meet/cert-path-crt
            ;;
        esac
        standin_require jitsi-meet/jaas-choice
        if [ "$RET" != "false" ]; then
            standin_fail "jitsi-meet/jaas-choice is '$RET': the JaaS sign-up needs the 8x8 service, preseed false"
        fi
        ;;
    jitsi-meet-tokens)
        standin_require jitsi-meet-tokens/appid
        standin_require jitsi-meet-tokens/appsecret allow-empty
        case "$RET" in
        *[/\\\"\'\`]*)
            standin_fail "jitsi-meet-tokens/appsecret contains one of / \\ \" ' or a backtick, which breaks the Prosody config the package edits"
            ;;
        esac
        ;;
    esac
}

# standin_hostname: RET = the trimmed jitsi-videobridge/jvb-hostname answer.
standin_hostname() {
    db_get jitsi-videobridge/jvb-hostname
    RET=$(echo "$RET" | xargs echo -n)
}

# standin_quote VALUE: VALUE escaped for a double-quoted HOCON string.
standin_quote() {
    printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'
}

# standin_hocon_get FILE KEY: the value at KEY, unquoted, or nothing.
standin_hocon_get() {
    _v=$(hocon -f "$1" get "$2" 2>/dev/null) || return 0
    case "$_v" in
    \"*\") printf '%s' "$_v" | sed -e 's/^"//' -e 's/"$//' -e 's/\\"/"/g' -e 's/\\\\/\\/g' ;;
    *) printf '%s' "$_v" ;;
    esac
}

# standin_render SRC DST: copies SRC to DST with every __NAME__ replaced by
# the value of $STANDIN_NAME (left alone when that is unset). Perl, unlike
# sed, takes any character in a value literally.
standin_render() {
    perl -pe 's/__([A-Z_]+)__/exists $ENV{"STANDIN_$1"} ? $ENV{"STANDIN_$1"} : $&/ge' "$1" > "$2"
}

standin_random() {
    tr -dc 'a-zA-Z0-9' </dev/urandom | head -c "${1:-16}" || true
}

# standin_restart SERVICE REASON: invoke-rc.d SERVICE restart, as the real
# maintainer scripts do, recorded so a test can tell whether an install or
# upgrade restarted the service: a line in /var/log/jitsi-standin/restarts.log
# and, where logger works, in the journal (tag jitsi-standin).
standin_restart() {
    _msg="${DPKG_MAINTSCRIPT_PACKAGE:-standin} $(dpkg-query -W -f='${Version}' "${DPKG_MAINTSCRIPT_PACKAGE:-none}" 2>/dev/null || true) restarts $1: $2"
    mkdir -p /var/log/jitsi-standin
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $_msg" >> /var/log/jitsi-standin/restarts.log
    logger -t jitsi-standin "$_msg" 2>/dev/null || true
    invoke-rc.d "$1" restart || true
}

# standin_enable_service UNIT: what debhelper's snippets do for a unit.
standin_enable_service() {
    if command -v deb-systemd-helper >/dev/null 2>&1; then
        deb-systemd-helper unmask "$1" >/dev/null || true
        deb-systemd-helper enable "$1" >/dev/null || true
    else
        systemctl enable "$1" >/dev/null 2>&1 || true
    fi
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload || true
        mkdir -p /var/log/jitsi-standin
        echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) ${DPKG_MAINTSCRIPT_PACKAGE:-standin} restarts $1: debhelper restart after configure" >> /var/log/jitsi-standin/restarts.log
        systemctl restart "$1" || true
    fi
}

standin_stop_service() {
    if [ -d /run/systemd/system ]; then
        systemctl stop "$1" >/dev/null 2>&1 || true
    fi
}

standin_daemon_reload() {
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload || true
    fi
}

standin_purge_service() {
    if command -v deb-systemd-helper >/dev/null 2>&1; then
        deb-systemd-helper purge "$1" >/dev/null || true
    fi
    standin_daemon_reload
}

# standin_jitsi_user NAME HOME: the system user a Jitsi daemon runs as.
standin_jitsi_user() {
    if ! getent group jitsi >/dev/null; then
        groupadd --system jitsi
    fi
    if ! getent passwd "$1" >/dev/null; then
        useradd --system -g jitsi --shell /bin/bash --create-home -d "$2" "$1"
    fi
    mkdir -p "$2" /var/log/jitsi
    chown -R "$1":jitsi "$2"
    chown root:jitsi /var/log/jitsi
    chmod 770 /var/log/jitsi
}
