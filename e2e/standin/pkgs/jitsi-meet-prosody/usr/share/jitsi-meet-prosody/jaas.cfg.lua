-- JaaS (8x8 dial-in) host, enabled only when jitsi-meet/jaas-choice is true.
-- The stand-in ships the file the real package copies to conf.avail; it is
-- never linked into conf.d (the stand-in refuses jaas-choice = true).
VirtualHost "jigasi.meet.jitsi"
    enabled = false -- JaaS components
    authentication = "jitsi-shared-secret"
