// Package answerstest holds the answers file the tests of several packages
// start from, so a change to what the smallest valid file needs is made once.
package answerstest

// Minimal is the smallest valid answers file: one host, Let's Encrypt and a
// Janssen issuer.
const Minimal = `version: 1
domain: meet.example.com
hosts:
  - address: 203.0.113.10
letsencrypt:
  email: ops@example.com
janssen:
  issuer: https://login.example.com
`
