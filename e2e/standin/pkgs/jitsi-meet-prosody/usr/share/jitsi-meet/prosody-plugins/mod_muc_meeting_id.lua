-- Gives every new room a meeting id (stand-in for Jitsi's mod_muc_meeting_id).

local uuid = require "util.uuid".generate;

module:hook("muc-room-created", function(event)
    event.room._data.meetingId = uuid();
end, -2);
