/*
 * bank — the keynote benchmark's module: accounts with balances and a transfer between two of
 * them.  transfer's path is two point lookups through the primary-key index and two updates
 * through it, with no allocation: the rows are fixed-size and decoded into stack structs.
 */
#include <lightcone.h>

// clang-format off
LC_TABLE(accounts, LC_PUBLIC,
         LC_COL(uint32_t, id, LC_PRIMARY_KEY),
         LC_COL(int64_t, balance))
// clang-format on

/* Create accounts 0..n-1 with `balance` each; accounts that already exist are left alone. */
LC_REDUCER(seed, LC_ARG(uint32_t, n), LC_ARG(int64_t, balance))
{
    for (uint32_t id = 0; id < n; id++) {
        accounts_t a;
        if (accounts_find_by_id(id, &a))
            continue;
        a = (accounts_t){.id = id, .balance = balance};
        accounts_insert(&a);
    }
    return lc_ok();
}

/* Move `amount` from one account to another. */
LC_REDUCER(transfer, LC_ARG(uint32_t, from), LC_ARG(uint32_t, to), LC_ARG(int64_t, amount))
{
    if (from == to)
        return lc_err("cannot transfer to the same account");
    if (amount <= 0)
        return lc_err("amount must be positive");
    accounts_t src, dst;
    if (!accounts_find_by_id(from, &src))
        return lc_err("no account %u", from);
    if (!accounts_find_by_id(to, &dst))
        return lc_err("no account %u", to);
    if (src.balance < amount)
        return lc_err("insufficient balance in account %u", from);
    src.balance -= amount;
    dst.balance += amount;
    accounts_update_by_id(&src);
    accounts_update_by_id(&dst);
    return lc_ok();
}
