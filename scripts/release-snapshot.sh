#!/usr/bin/env bash
# Builds a snapshot release into dist/ with the pinned goreleaser, as a tagged
# release would be built, and checks it the way a user would: the signature
# of checksums.txt, then every checksum.
#
# Signing key: the one whose fingerprint is in GPG_FINGERPRINT (in the
# caller's GNUPGHOME), or else a throwaway key made for this run and deleted
# after it. Tools come from the Go module proxy only: goreleaser through
# `go run`, cyclonedx-gomod installed into bin/tools (versions: Makefile).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
: "${GORELEASER:?the goreleaser module@version: run make release-snapshot}"
: "${CYCLONEDX:?the cyclonedx-gomod module@version: run make release-snapshot}"

start=$(date +%s)
tools="$PWD/bin/tools"
GOBIN="$tools" "$GO" install "$CYCLONEDX"
export PATH="$tools:$PATH"

scratch=$(mktemp -d)
cleanup() {
	for home in "$scratch"/*home; do
		if [ -d "$home" ]; then gpgconf --homedir "$home" --kill all >/dev/null 2>&1 || true; fi
	done
	rm -rf "$scratch"
}
trap cleanup EXIT

# A release is built from a commit, not from a work tree: goreleaser and
# cyclonedx-gomod read the commit, its date and the remote from git, which
# a fresh clone of HEAD always has (a linked work tree, for one, may lack a
# remote, and cyclonedx-gomod cannot read its refs).
head=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	echo "building $head: uncommitted changes are not in the snapshot" >&2
fi
git clone --quiet --no-checkout . "$scratch/src"
git -C "$scratch/src" checkout --quiet --detach "$head"

if [ -z "${GPG_FINGERPRINT:-}" ]; then
	export GNUPGHOME="$scratch/signhome"
	mkdir -m 0700 "$GNUPGHOME"
	gpg --batch --quiet --passphrase '' --quick-gen-key \
		'jitsi-installer snapshot (throwaway) <snapshot@jitsi-installer.invalid>' ed25519 sign 1d
	GPG_FINGERPRINT=$(gpg --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')
	export GPG_FINGERPRINT
	echo "signing with a throwaway key: $GPG_FINGERPRINT"
fi
gpg --batch --armor --export "$GPG_FINGERPRINT" >"$scratch/key.asc"

# GORELEASER_BIN: a goreleaser binary of that version, for a build that
# must not share the Go build cache go run keeps it in (the reproducibility
# test builds with an empty one).
if [ -n "${GORELEASER_BIN:-}" ]; then
	(cd "$scratch/src" && "$GORELEASER_BIN" release --snapshot --clean)
else
	(cd "$scratch/src" && "$GO" run "$GORELEASER" release --snapshot --clean)
fi
rm -rf dist
mv "$scratch/src/dist" dist

# What the README tells users to do, with a keyring holding only the key.
verifyhome="$scratch/verifyhome"
mkdir -m 0700 "$verifyhome"
gpg --homedir "$verifyhome" --batch --quiet --import "$scratch/key.asc"
gpg --homedir "$verifyhome" --batch --verify dist/checksums.txt.sig dist/checksums.txt
(cd dist && sha256sum --check --strict checksums.txt)

echo "release snapshot in dist/ after $(($(date +%s) - start)) s"
