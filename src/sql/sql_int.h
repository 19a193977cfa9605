/*
 * sql_int — private structures of the SQL engine shared by its files: the
 * tokens, the AST the parser builds and the planner annotates, and the plan.
 */
#ifndef LC_SQL_INT_H
#define LC_SQL_INT_H

#include "sql/sql.h"

/* ---------------------------------------------------------------- tokens */

typedef enum sql_tok_kind {
    TK_EOF = 0,
    TK_IDENT,  /* bare identifier or keyword */
    TK_QIDENT, /* "quoted" identifier (text unescaped) */
    TK_INT,    /* digits */
    TK_FLOAT,  /* digits with '.' or exponent */
    TK_STRING, /* '...' (text unescaped) */
    TK_HEX,    /* 0xABCD or X'ABCD' (text = the hex digits) */
    TK_PARAM,  /* :name (text = name) */
    TK_PUNCT,  /* one of ( ) , . * ; = < > + - or the pairs <= >= <> != */
} sql_tok_kind_t;

typedef struct sql_tok {
    sql_tok_kind_t kind;
    uint32_t pos; /* byte offset in the text */
    const char *text;
    uint32_t len;
} sql_tok_t;

/* Split text into tokens (arena-allocated, ending with TK_EOF). */
int sql__lex(const char *text, size_t len, lc_arena_t *a, sql_tok_t **toks, uint32_t *n,
             lc_err_t *err);
/* "L:C" of byte offset pos in text. */
void sql__pos(const char *text, uint32_t pos, char *buf, size_t cap);

/* ---------------------------------------------------------------- AST */

typedef enum sql_expr_kind {
    EX_COL,
    EX_LIT,
    EX_SENDER,
    EX_CMP,
    EX_AND,
    EX_OR,
    EX_NOT,
    EX_IN,
    EX_ISNULL,
} sql_expr_kind_t;

typedef enum sql_cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE } sql_cmp_t;

typedef enum sql_lit_kind {
    LIT_INT,
    LIT_FLOAT,
    LIT_STRING,
    LIT_HEX,
    LIT_BOOL,
    LIT_NULL
} sql_lit_kind_t;

typedef struct sql_expr sql_expr_t;
struct sql_expr {
    sql_expr_kind_t kind;
    uint32_t pos;
    union {
        struct {
            const char *qual; /* table or alias, or NULL */
            const char *name;
            int tab, col; /* resolved: FROM position and column */
        } col;
        struct {
            sql_lit_kind_t kind;
            const char *text; /* digits (sign excluded), string, hex digits */
            bool neg, b;
        } lit;
        struct {
            sql_cmp_t op;
            sql_expr_t *l, *r;
        } cmp;
        struct {
            sql_expr_t *l, *r; /* AND, OR; NOT uses l */
        } bin;
        struct {
            sql_expr_t *l;
            uint32_t n;
            sql_expr_t **items;
            bool neg; /* NOT IN */
        } in;
        struct {
            sql_expr_t *l;
            bool neg; /* IS NOT NULL */
        } isnull;
    } u;
    /* Planner annotations: the value's type, and for literals the value. */
    const sats_typespace_t *ts;
    const sats_type_t *type;
    sats_value_t val;
};

typedef enum sql_agg { AGG_NONE, AGG_COUNT_STAR, AGG_COUNT, AGG_SUM, AGG_MIN, AGG_MAX } sql_agg_t;

typedef struct sql_proj {
    uint32_t pos;
    bool star;        /* `*` or `t.*` */
    const char *qual; /* t of t.*; NULL for `*` */
    sql_agg_t agg;
    sql_expr_t *col; /* EX_COL (NULL for `*` and COUNT(*)) */
    const char *alias;
} sql_proj_t;

typedef struct sql_from {
    uint32_t pos;
    const char *table, *alias;
    sql_expr_t *on;       /* JOIN ... ON a = b; NULL for the first and cross joins */
    const sql_table_t *t; /* resolved */
} sql_from_t;

typedef struct sql_order {
    sql_expr_t *col;
    bool desc;
} sql_order_t;

typedef struct sql_assign {
    uint32_t pos;
    const char *col;
    sql_expr_t *val;
    int colno; /* resolved */
} sql_assign_t;

typedef enum sql_stmt_kind {
    ST_SELECT,
    ST_INSERT,
    ST_UPDATE,
    ST_DELETE,
    ST_SET,
    ST_SHOW
} sql_stmt_kind_t;

struct sql_stmt {
    sql_stmt_kind_t kind;
    const char *text; /* the SQL, for error positions */
    /* SELECT */
    uint32_t nproj;
    sql_proj_t *proj;
    uint32_t nfrom;
    sql_from_t *from; /* also the target of INSERT/UPDATE/DELETE (nfrom 1) */
    sql_expr_t *where;
    uint32_t ngroup;
    sql_expr_t **group;
    uint32_t norder;
    sql_order_t *order;
    bool has_limit, has_offset;
    uint64_t limit, offset;
    /* INSERT */
    uint32_t ncols;
    const char **cols;
    uint32_t *col_pos;
    uint32_t nrows;
    sql_expr_t ***rows; /* nrows tuples of ncols_in_row literals */
    uint32_t *row_len;
    /* UPDATE SET / SET var */
    uint32_t nassign;
    sql_assign_t *assign;
    const char *var; /* SET / SHOW */
};

/* ---------------------------------------------------------------- plan */

typedef enum sql_access_kind { ACC_SCAN, ACC_POINT, ACC_RANGE } sql_access_kind_t;

/* How one FROM table's rows are fetched. */
typedef struct sql_access {
    sql_access_kind_t kind;
    const sql_index_t *ix;
    const uint8_t *key_p; /* ACC_POINT: BSATN key */
    size_t key_len;
    uint8_t *lo, *hi; /* ACC_RANGE: BSATN Bound values */
    size_t lo_len, hi_len;
    /* Join with the tables before it: index nested loop on ix probing with
     * the value of (join_tab, join_col), or a nested loop over the access. */
    bool ixjoin;
    int join_tab, join_col;
    /* Or, without an index: sort this table's rows on my_col and binary
     * search them for each joined prefix's (join_tab, join_col). */
    bool sortjoin;
    int my_col;
} sql_access_t;

/* One output column: a source column, or an aggregate. */
typedef struct sql_out {
    int tab, col; /* source column, or -1 for COUNT(*) */
    sql_agg_t agg;
    sql_col_t meta;
} sql_out_t;

/* The row-level security of one FROM table (rls.c): its rules, planned
 * with the caller's :sender. */
typedef struct sql_rls {
    uint32_t n; /* 0: the table is not filtered */
    sql_plan_t **rules;
    sql_sub_shape_t *shapes;
    bool joins; /* some rule joins another table */
} sql_rls_t;

struct sql_plan {
    const sql_stmt_t *stmt;
    const sql_schema_t *schema;
    const sql_caller_t *caller;
    sql_access_t *acc; /* one per FROM table */
    uint32_t nout;
    sql_out_t *out;
    bool aggregate; /* aggregates or GROUP BY */
    /* ORDER BY keys: output column index each */
    uint32_t *order_out;
    /* INSERT: typed rows; UPDATE: typed assignment values in stmt */
    uint32_t ninsert;
    sats_value_t *insert_rows;    /* row values (products) */
    const sql_table_t *var_table; /* SET/SHOW: st_var */
    sql_rls_t *rls;               /* one per FROM table, or NULL: no filtering */
};

/* Literal typing (literal.c): the value of literal e as type t in ts, into
 * e->val; the error names the column. */
int sql__type_literal(sql_expr_t *e, const char *what, const sats_typespace_t *ts,
                      const sats_type_t *t, const sql_caller_t *caller, lc_arena_t *a,
                      lc_err_t *err);

/* Row-level security (rls.c).  Check def's rules and attach them to the
 * tables of schema they return. */
int sql__rls_attach(const mod_def_t *def, lc_arena_t *a, sql_schema_t *schema, lc_err_t *err);
/* Plan the rules of p's FROM tables for its caller (non-owners only). */
int sql__rls_plan(sql_plan_t *p, lc_arena_t *a, lc_err_t *err);
/* Whether row (of FROM table tab) passes tab's rules that do not join;
 * true when tab is not filtered. */
bool sql__rls_match(const sql_plan_t *p, int tab, sats_value_t *row);

/* Evaluate a typed predicate on one joined row (exec.c). */
bool sql__eval(const sql_expr_t *e, sats_value_t *const *rows);

#endif /* LC_SQL_INT_H */
