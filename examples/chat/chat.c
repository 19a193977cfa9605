/*
 * chat — the classic quickstart chat, in C.  Users are keyed by identity and may set a name;
 * anyone connected may send messages; connecting and disconnecting flip `online`.
 * Clients subscribe to `SELECT * FROM user` and `SELECT * FROM message` (see README.md).
 * `message.sender` has a btree index so that subscriptions may join messages to their
 * senders (a join needs an index on both join columns).
 */
#include <lightcone.h>

// clang-format off
LC_TABLE(user, LC_PUBLIC,
         LC_COL(lc_identity, identity, LC_PRIMARY_KEY),
         LC_COL(lc_option_string, name),
         LC_COL(bool, online))

LC_TABLE(message, LC_PUBLIC,
         LC_COL(lc_identity, sender, LC_BTREE),
         LC_COL(lc_timestamp, sent),
         LC_COL(lc_string, text))
// clang-format on

LC_REDUCER(set_name, LC_ARG(lc_string, name))
{
    if (name.len == 0)
        return lc_err("Names must not be empty");
    user_t u;
    if (!user_find_by_identity(ctx->sender, &u))
        return lc_err("Cannot set name for unknown user");
    u.name = LC_SOME(lc_option_string, name);
    user_update_by_identity(&u);
    return lc_ok();
}

LC_REDUCER(send_message, LC_ARG(lc_string, text))
{
    if (text.len == 0)
        return lc_err("Messages must not be empty");
    LC_LOG_INFO("%s", text.ptr);
    message_t m = {.sender = ctx->sender, .sent = ctx->timestamp, .text = text};
    message_insert(&m);
    return lc_ok();
}

/* A returning user is marked online; a new one is created without a name. */
LC_CLIENT_CONNECTED(client_connected)
{
    user_t u;
    if (user_find_by_identity(ctx->sender, &u)) {
        u.online = true;
        user_update_by_identity(&u);
    } else {
        u = (user_t){.identity = ctx->sender, .name = LC_NONE(lc_option_string), .online = true};
        user_insert(&u);
    }
    return lc_ok();
}

LC_CLIENT_DISCONNECTED(client_disconnected)
{
    user_t u;
    if (!user_find_by_identity(ctx->sender, &u)) {
        char hex[65];
        lc_identity_to_hex(ctx->sender, hex);
        LC_LOG_WARN("Disconnect event for unknown user with identity %s", hex);
        return lc_ok();
    }
    u.online = false;
    user_update_by_identity(&u);
    return lc_ok();
}
