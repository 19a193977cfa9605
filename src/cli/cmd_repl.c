/*
 * cmd_repl.c — the read-eval-print loop behind `lightcone sql NAME -i`, with
 * a small built-in line editor so that the CLI needs no readline/libedit.
 *
 * On a terminal the line is edited in raw mode: left/right, Home/End
 * (Ctrl-A/E), Backspace/Delete, Ctrl-U/K, Ctrl-C (drop the line), Ctrl-D
 * (quit on an empty line) and up/down through the session's history.
 * Cursor moves step over whole UTF-8 sequences; wide characters are counted
 * as one column.  When stdin is not a terminal, statements are read line by
 * line without a prompt, which is how scripts and the tests drive it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli_int.h"

/* Used by cmd_client.c (declared there). */

#define HISTORY_MAX 500

typedef struct editor {
    const char *prompt;
    char **hist; /* lc_malloc'd lines, oldest first */
    size_t nhist;
    lc_buf_t line; /* the line being edited (not NUL-terminated) */
    size_t pos;    /* cursor, a byte offset in line */
} editor_t;

/* ---------------------------------------------------------------- history */

static void hist_add(editor_t *e, const char *s)
{
    if (!*s || (e->nhist && strcmp(e->hist[e->nhist - 1], s) == 0))
        return;
    if (e->nhist == HISTORY_MAX) {
        lc_free(e->hist[0]);
        memmove(e->hist, e->hist + 1, (HISTORY_MAX - 1) * sizeof *e->hist);
        e->nhist--;
    }
    char **h = lc_realloc(e->hist, (e->nhist + 1) * sizeof *h);
    size_t n = strlen(s);
    char *copy = lc_malloc(n + 1);
    if (!h || !copy) {
        lc_free(copy);
        if (h)
            e->hist = h;
        return;
    }
    memcpy(copy, s, n + 1);
    e->hist = h;
    e->hist[e->nhist++] = copy;
}

static void hist_free(editor_t *e)
{
    for (size_t i = 0; i < e->nhist; i++) lc_free(e->hist[i]);
    lc_free(e->hist);
}

/* ---------------------------------------------------------------- editing */

static bool is_cont(uint8_t c)
{
    return (c & 0xC0) == 0x80;
}

static size_t columns(const uint8_t *p, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += !is_cont(p[i]);
    return c;
}

static void redraw(editor_t *e)
{
    lc_buf_t o;
    lc_buf_init(&o);
    lc_buf_printf(&o, "\r%s", e->prompt);
    lc_buf_append(&o, e->line.data, e->line.len);
    lc_buf_puts(&o, "\033[K\r");
    size_t col = strlen(e->prompt) + columns(e->line.data, e->pos);
    if (col)
        lc_buf_printf(&o, "\033[%zuC", col);
    if (!o.oom && write(STDOUT_FILENO, o.data, o.len) < 0)
        (void)0; /* nothing useful to do about a broken terminal */
    lc_buf_free(&o);
}

static void set_line(editor_t *e, const char *s)
{
    lc_buf_reset(&e->line);
    lc_buf_puts(&e->line, s);
    e->pos = e->line.len;
}

static void insert(editor_t *e, uint8_t c)
{
    if (lc_buf_putc(&e->line, c) != LC_OK)
        return;
    memmove(e->line.data + e->pos + 1, e->line.data + e->pos, e->line.len - 1 - e->pos);
    e->line.data[e->pos++] = c;
}

/* Delete the bytes [from, to). */
static void erase(editor_t *e, size_t from, size_t to)
{
    memmove(e->line.data + from, e->line.data + to, e->line.len - to);
    e->line.len -= to - from;
    if (e->pos > to)
        e->pos -= to - from;
    else if (e->pos > from)
        e->pos = from;
}

static size_t prev_char(editor_t *e, size_t p)
{
    while (p > 0 && is_cont(e->line.data[--p])) {
    }
    return p;
}

static size_t next_char(editor_t *e, size_t p)
{
    if (p < e->line.len)
        p++;
    while (p < e->line.len && is_cont(e->line.data[p])) p++;
    return p;
}

/* Up (dir -1) or down (+1) through history; *at == nhist is the new line,
 * whose text is kept in scratch meanwhile. */
static void browse(editor_t *e, int dir, size_t *at, lc_buf_t *scratch)
{
    if ((dir < 0 && *at == 0) || (dir > 0 && *at >= e->nhist))
        return;
    if (*at == e->nhist) {
        lc_buf_reset(scratch);
        lc_buf_append(scratch, e->line.data, e->line.len);
        lc_buf_terminate(scratch);
    }
    *at = dir < 0 ? *at - 1 : *at + 1;
    set_line(e,
             *at == e->nhist ? (scratch->data ? (const char *)scratch->data : "") : e->hist[*at]);
}

static int read_byte(uint8_t *c)
{
    return read(STDIN_FILENO, c, 1) == 1 ? 0 : -1;
}

/* An escape sequence after ESC: arrows, Home/End, Delete. */
static void escape(editor_t *e, size_t *at, lc_buf_t *scratch)
{
    uint8_t a, b, t;
    if (read_byte(&a) || read_byte(&b) || (a != '[' && a != 'O'))
        return;
    if (b >= '0' && b <= '9') { /* ESC [ n ~ */
        if (read_byte(&t) || t != '~')
            return;
        if (b == '3' && e->pos < e->line.len)
            erase(e, e->pos, next_char(e, e->pos));
        else if (b == '1' || b == '7')
            e->pos = 0;
        else if (b == '4' || b == '8')
            e->pos = e->line.len;
        return;
    }
    switch (b) {
    case 'A':
        browse(e, -1, at, scratch);
        break;
    case 'B':
        browse(e, +1, at, scratch);
        break;
    case 'C':
        e->pos = next_char(e, e->pos);
        break;
    case 'D':
        e->pos = prev_char(e, e->pos);
        break;
    case 'H':
        e->pos = 0;
        break;
    case 'F':
        e->pos = e->line.len;
        break;
    default:
        break;
    }
}

/* One key; 1 when the line is done, -1 at end of input, 0 to go on. */
static int key(editor_t *e, uint8_t c, size_t *at, lc_buf_t *scratch)
{
    switch (c) {
    case '\r':
    case '\n':
        return 1;
    case 4: /* Ctrl-D */
        if (e->line.len == 0)
            return -1;
        if (e->pos < e->line.len)
            erase(e, e->pos, next_char(e, e->pos));
        return 0;
    case 3: /* Ctrl-C: drop the line */
        if (write(STDOUT_FILENO, "^C\r\n", 4) < 0)
            return -1;
        e->line.len = e->pos = 0;
        *at = e->nhist;
        return 0;
    case 127:
    case 8:
        if (e->pos > 0)
            erase(e, prev_char(e, e->pos), e->pos);
        return 0;
    case 1:
        e->pos = 0;
        return 0;
    case 5:
        e->pos = e->line.len;
        return 0;
    case 2:
        e->pos = prev_char(e, e->pos);
        return 0;
    case 6:
        e->pos = next_char(e, e->pos);
        return 0;
    case 11:
        e->line.len = e->pos;
        return 0;
    case 21:
        erase(e, 0, e->pos);
        return 0;
    case 16:
        browse(e, -1, at, scratch);
        return 0;
    case 14:
        browse(e, +1, at, scratch);
        return 0;
    case 27:
        escape(e, at, scratch);
        return 0;
    default:
        if (c >= 32 || c == '\t')
            insert(e, c == '\t' ? ' ' : c);
        return 0;
    }
}

/* Edit one line in raw mode into out (NUL-terminated); -1 at end of input. */
static int edit_line(editor_t *e, struct termios *cooked, lc_buf_t *out)
{
    struct termios raw = *cooked;
    raw.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
    raw.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN | ISIG);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0)
        return -2;
    lc_buf_t scratch;
    lc_buf_init(&scratch);
    size_t at = e->nhist;
    e->line.len = e->pos = 0;
    redraw(e);
    int rc = 0;
    uint8_t c;
    while (rc == 0) {
        rc = read_byte(&c) ? -1 : key(e, c, &at, &scratch);
        if (rc == 0)
            redraw(e);
    }
    tcsetattr(STDIN_FILENO, TCSAFLUSH, cooked);
    if (write(STDOUT_FILENO, "\r\n", 2) < 0)
        rc = -1;
    lc_buf_free(&scratch);
    lc_buf_reset(out);
    lc_buf_append(out, e->line.data, e->line.len);
    lc_buf_terminate(out);
    return rc < 0 ? -1 : 0;
}

/* One line from a pipe or file (or a terminal that refuses raw mode). */
static int plain_line(const char *prompt, lc_buf_t *out)
{
    if (prompt) {
        fputs(prompt, stdout);
        fflush(stdout);
    }
    lc_buf_reset(out);
    int c;
    while ((c = getchar()) != EOF && c != '\n') lc_buf_putc(out, (uint8_t)c);
    lc_buf_terminate(out);
    return c == EOF && out->len == 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- the loop */

static void repl_help(void)
{
    printf("Type a SQL statement and press Enter (a trailing ';' is optional).\n"
           "  \\h, \\?, help   this help\n"
           "  \\q, quit, exit  leave (or Ctrl-D)\n"
           "Editing: arrows, Home/End, Ctrl-A/E/U/K; up/down recall earlier statements.\n");
}

/* s with the spaces at both ends removed, in place. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

/* Run statements until \q or end of input.  exec returns an exit code; a
 * failed statement does not end the session, but an unreachable server or
 * a database that is gone (3, 4) does.  Returns the first failure's code. */
int cli_repl(const char *prompt, int (*exec)(void *arg, const char *stmt), void *arg)
{
    bool tty = isatty(STDIN_FILENO), edit = tty && isatty(STDOUT_FILENO);
    struct termios cooked;
    if (edit && tcgetattr(STDIN_FILENO, &cooked) != 0)
        edit = false;
    editor_t e = {.prompt = prompt};
    lc_buf_init(&e.line);
    lc_buf_t in;
    lc_buf_init(&in);
    if (tty)
        printf("Connected. Type \\h for help, \\q to quit.\n");
    int first = 0;
    for (;;) {
        int got = edit ? edit_line(&e, &cooked, &in) : -2;
        if (got == -2)
            got = plain_line(tty ? prompt : NULL, &in);
        if (got < 0)
            break;
        char *s = trim((char *)in.data);
        if (!*s || strncmp(s, "--", 2) == 0)
            continue;
        hist_add(&e, s);
        if (!strcmp(s, "\\q") || !strcmp(s, "quit") || !strcmp(s, "exit"))
            break;
        if (!strcmp(s, "\\h") || !strcmp(s, "\\?") || !strcmp(s, "help")) {
            repl_help();
            continue;
        }
        int rc = exec(arg, s);
        fflush(stdout);
        if (rc && !first)
            first = rc;
        if (rc == CLI_EXIT_UNREACHABLE || rc == CLI_EXIT_NOT_FOUND)
            break;
    }
    hist_free(&e);
    lc_buf_free(&e.line);
    lc_buf_free(&in);
    return first;
}
