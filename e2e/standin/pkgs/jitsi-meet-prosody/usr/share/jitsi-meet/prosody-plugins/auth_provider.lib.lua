-- An auth provider for SASL ANONYMOUS only, shared by the stand-in's auth
-- modules: no passwords and no stored accounts. profile is the util.sasl
-- profile function that accepts or refuses a session.
return function(module, profile)
    local new_sasl = require "util.sasl".new;
    local provider = {};

    local function none()
        return nil;
    end
    provider.get_password, provider.user_exists = none, none;
    provider.create_user, provider.delete_user = none, none;
    function provider.test_password(username, password)
        return nil, "Password based auth not supported";
    end
    function provider.set_password(username, password)
        return nil, "Set password not supported";
    end
    function provider.get_sasl_handler(session)
        return new_sasl(module.host, { anonymous = function(self, message)
            return profile(session, self, message);
        end });
    end

    module:provides("auth", provider);
end
