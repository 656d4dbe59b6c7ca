var config = {
    hosts: {
        // XMPP domain.
        domain: '__HOST__',

        // XMPP MUC domain.
        muc: 'conference.<!--# echo var="subdomain" default="" -->__HOST__'
    },

    // BOSH URL.
    bosh: 'https://__HOST__/' + (typeof subdir === 'undefined' ? '' : subdir) + 'http-bind',

    // Websocket URL (XMPP)
    // websocket: 'wss://__HOST__/' + subdir + 'xmpp-websocket',

    // channelLastN: -1,

    p2p: {
        enabled: true,
        stunServers: [
            { urls: 'stun:__HOST__:3478' }
        ]
    },

    // deploymentInfo: {
    //     shard: 'shard1',
    //     region: 'europe',
    //     userRegion: 'asia'
    // },

    prejoinConfig: {
        enabled: true
    }
};

/* eslint-enable no-unused-vars, no-var */
