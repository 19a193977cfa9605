/*
 * notes — private notes with row-level security.  Each client sees only its own notes and
 * the notes shared with it, in SQL, subscriptions and one-off queries alike; the database
 * owner sees everything.  Two rules guard `note`: one reads only the row (the owner), one
 * joins `share` (a reader), which is why both `note.id` and `share.note_id` are indexed.
 */
#include <lightcone.h>

// clang-format off
LC_TABLE(note, LC_PUBLIC,
         LC_COL(uint64_t, id, LC_PRIMARY_KEY, LC_AUTO_INC),
         LC_COL(lc_identity, owner, LC_BTREE),
         LC_COL(lc_string, text))

LC_TABLE(share, LC_PUBLIC,
         LC_COL(uint64_t, id, LC_PRIMARY_KEY, LC_AUTO_INC),
         LC_COL(uint64_t, note_id, LC_BTREE),
         LC_COL(lc_identity, reader, LC_BTREE))
// clang-format on

LC_RLS(own_notes, "SELECT * FROM note WHERE owner = :sender")
LC_RLS(shared_notes, "SELECT note.* FROM note JOIN share ON note.id = share.note_id "
                     "WHERE share.reader = :sender")
LC_RLS(own_shares, "SELECT * FROM share WHERE reader = :sender")

/* The caller's note `id`, or an error naming why not. */
static lc_result own_note(const lc_ctx *ctx, uint64_t id, note_t *out)
{
    if (!note_find_by_id(id, out))
        return lc_err("No such note");
    if (!lc_identity_eq(out->owner, ctx->sender))
        return lc_err("Not your note");
    return lc_ok();
}

LC_REDUCER(add_note, LC_ARG(lc_string, text))
{
    note_t n = {.id = 0, .owner = ctx->sender, .text = text};
    note_insert(&n);
    return lc_ok();
}

LC_REDUCER(edit_note, LC_ARG(uint64_t, id), LC_ARG(lc_string, text))
{
    note_t n;
    lc_result r = own_note(ctx, id, &n);
    if (r.code)
        return r;
    n.text = text;
    note_update_by_id(&n);
    return lc_ok();
}

LC_REDUCER(delete_note, LC_ARG(uint64_t, id))
{
    note_t n;
    lc_result r = own_note(ctx, id, &n);
    if (r.code)
        return r;
    share_delete_by_note_id(id);
    note_delete_by_id(id);
    return lc_ok();
}

LC_REDUCER(share_note, LC_ARG(uint64_t, id), LC_ARG(lc_identity, reader))
{
    note_t n;
    lc_result r = own_note(ctx, id, &n);
    if (r.code)
        return r;
    share_t s = {.id = 0, .note_id = id, .reader = reader};
    share_insert(&s);
    return lc_ok();
}

LC_REDUCER(unshare_note, LC_ARG(uint64_t, id), LC_ARG(lc_identity, reader))
{
    note_t n;
    lc_result r = own_note(ctx, id, &n);
    if (r.code)
        return r;
    share_iter it = share_filter_by_note_id(id);
    share_t s;
    uint64_t gone[64];
    uint32_t ngone = 0;
    while (ngone < 64 && share_next(&it, &s))
        if (lc_identity_eq(s.reader, reader))
            gone[ngone++] = s.id;
    share_iter_close(&it);
    for (uint32_t i = 0; i < ngone; i++) share_delete_by_id(gone[i]);
    return lc_ok();
}
