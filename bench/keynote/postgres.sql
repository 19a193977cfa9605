-- The keynote workload on PostgreSQL: the same table and the same checks as
-- examples/bank's transfer, as one plpgsql function so that a transfer is one
-- round trip (the fairest PostgreSQL can be; the reference's competitors went
-- through an ORM and took several).
CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL);
INSERT INTO accounts SELECT g, 1000000000 FROM generate_series(0, 99999) g;
VACUUM ANALYZE accounts;

CREATE FUNCTION transfer(p_from int, p_to int, p_amount bigint) RETURNS void AS $$
DECLARE
    b bigint;
BEGIN
    IF p_from = p_to THEN
        RAISE EXCEPTION 'cannot transfer to the same account';
    END IF;
    IF p_amount <= 0 THEN
        RAISE EXCEPTION 'amount must be positive';
    END IF;
    -- Lock both rows in id order first: without it, transfers a->b and b->a
    -- deadlock, and each deadlock costs deadlock_timeout (1 s) at Zipf 1.5.
    PERFORM 1 FROM accounts WHERE id IN (p_from, p_to) ORDER BY id FOR UPDATE;
    SELECT balance INTO b FROM accounts WHERE id = p_from;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no account %', p_from;
    END IF;
    PERFORM 1 FROM accounts WHERE id = p_to;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no account %', p_to;
    END IF;
    IF b < p_amount THEN
        RAISE EXCEPTION 'insufficient balance in account %', p_from;
    END IF;
    UPDATE accounts SET balance = balance - p_amount WHERE id = p_from;
    UPDATE accounts SET balance = balance + p_amount WHERE id = p_to;
END
$$ LANGUAGE plpgsql;
