/*
 * format.c — printf-style formatting, logging and panics, without libc's printf.
 *
 * libc's printf would pull in long-double arithmetic from compiler-rt and stdio's buffering
 * for a job this small, so the SDK formats on its own: the conversions and modifiers listed in
 * lightcone.h, enough for log lines and error messages.  Floats are printed from a double with
 * up to 17 significant digits and rounding to the requested precision; that is exact for the
 * values people log, not a correctly rounded printf for every double.
 *
 * Logging goes to console_log (module-abi.md §3.8) with the file and line; a panic logs at
 * level Panic and traps, which fails the call and makes the host discard the instance.
 */
#include "internal.h"

typedef struct out {
    char *buf;
    size_t cap, n;
} out;

static void put(out *o, char c)
{
    if (o->n + 1 < o->cap)
        o->buf[o->n] = c;
    o->n++;
}

static void puts_n(out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) put(o, s[i]);
}

static void pad(out *o, char c, int n)
{
    for (int i = 0; i < n; i++) put(o, c);
}

typedef struct spec {
    bool left, plus, space, alt, zero;
    int width, prec; /* prec < 0: none */
    char len;        /* 'H' hh, 'h', 'l', 'L' ll/j/z/t as 64-bit, 0 int */
} spec;

/* Emit prefix + body justified in the field (zeros go between prefix and body). */
static void emit(out *o, const spec *s, const char *prefix, const char *body, size_t n,
                 bool zero_ok)
{
    int plen = (int)strlen(prefix), fill = s->width - plen - (int)n;
    if (fill < 0)
        fill = 0;
    if (!s->left && !(s->zero && zero_ok))
        pad(o, ' ', fill);
    puts_n(o, prefix, (size_t)plen);
    if (!s->left && s->zero && zero_ok)
        pad(o, '0', fill);
    puts_n(o, body, n);
    if (s->left)
        pad(o, ' ', fill);
}

static void fmt_int(out *o, const spec *s, uint64_t v, bool neg, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[88];
    int n = 0;
    while (v) {
        tmp[sizeof tmp - 1 - n++] = digits[v % base];
        v /= base;
    }
    int prec = s->prec < 0 ? 1 : s->prec;
    while (n < prec && n < 66) tmp[sizeof tmp - 1 - n++] = '0';
    const char *prefix = neg ? "-" : s->plus ? "+" : s->space ? " " : "";
    if (s->alt && base == 16 && n > 0 && !(n == 1 && tmp[sizeof tmp - 1] == '0'))
        prefix = upper ? "0X" : "0x";
    if (s->alt && base == 8 && tmp[sizeof tmp - n] != '0')
        tmp[sizeof tmp - 1 - n++] = '0';
    emit(o, s, prefix, tmp + sizeof tmp - n, (size_t)n, s->prec < 0);
}

/* ---------------------------------------------------------------- floats */

static const double pow10_table[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                     1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

/* Digits of v >= 0 in fixed notation with `prec` decimals (prec <= 17, v < 1e18). */
static int fixed_digits(double v, int prec, char *buf)
{
    double scaled = v * pow10_table[prec] + 0.5;
    uint64_t ip = (uint64_t)v, fp = 0;
    if (scaled < 1.8e19) {
        uint64_t all = (uint64_t)scaled;
        uint64_t p = (uint64_t)pow10_table[prec];
        ip = all / p;
        fp = all % p;
    }
    char tmp[48];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    int len = 0;
    while (n) buf[len++] = tmp[--n];
    if (prec > 0) {
        buf[len++] = '.';
        for (int i = prec - 1; i >= 0; i--) {
            buf[len + i] = (char)('0' + fp % 10);
            fp /= 10;
        }
        len += prec;
    }
    return len;
}

/* v >= 0 as d.ddd with `prec` decimals and its decimal exponent. */
static int exp_digits(double v, int prec, bool upper, char *buf)
{
    int e = 0;
    if (v != 0) {
        while (v >= 10) {
            v /= 10;
            e++;
        }
        while (v < 1) {
            v *= 10;
            e--;
        }
    }
    int len = fixed_digits(v, prec, buf);
    if (buf[0] == '1' && buf[1] == '0' && len > 1 && (len == 2 || buf[2] == '.')) {
        /* rounding carried into a new digit: 9.99 -> 10.0 */
        e++;
        len = fixed_digits(v / 10, prec, buf);
    }
    buf[len++] = upper ? 'E' : 'e';
    buf[len++] = e < 0 ? '-' : '+';
    int ae = e < 0 ? -e : e;
    if (ae >= 100)
        buf[len++] = (char)('0' + ae / 100);
    buf[len++] = (char)('0' + ae / 10 % 10);
    buf[len++] = (char)('0' + ae % 10);
    return len;
}

static int strip_zeros(char *buf, int len)
{
    int dot = -1, end = len;
    for (int i = 0; i < len; i++)
        if (buf[i] == '.')
            dot = i;
    if (dot < 0)
        return len;
    int exp = dot;
    while (exp < len && buf[exp] != 'e' && buf[exp] != 'E') exp++;
    end = exp;
    while (end > dot + 1 && buf[end - 1] == '0') end--;
    if (end == dot + 1)
        end = dot;
    memmove(buf + end, buf + exp, (size_t)(len - exp));
    return end + (len - exp);
}

static void fmt_float(out *o, spec *s, double v, char conv)
{
    bool upper = conv >= 'A' && conv <= 'Z', neg = v < 0 || (v == 0 && 1 / v < 0);
    const char *prefix = neg ? "-" : s->plus ? "+" : s->space ? " " : "";
    if (neg)
        v = -v;
    if (v != v || v > 1.7976931348623157e308) {
        const char *t = v != v ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
        emit(o, s, prefix, t, 3, false);
        return;
    }
    int prec = s->prec < 0 ? 6 : s->prec > 17 ? 17 : s->prec;
    char buf[400];
    int len;
    char c = (char)(conv | 0x20);
    if (c == 'g') {
        int p = prec == 0 ? 1 : prec, e = 0;
        for (double t = v; t >= 10 && e < 400; t /= 10) e++;
        for (double t = v; t != 0 && t < 1 && e > -400; t *= 10) e--;
        if (e < p && e >= -4 && v < 1e18)
            len = fixed_digits(v, p - 1 - e > 17 ? 17 : p - 1 - e, buf);
        else
            len = exp_digits(v, p - 1, upper, buf);
        if (!s->alt)
            len = strip_zeros(buf, len);
    } else if (c == 'f' && v < 1e18) {
        len = fixed_digits(v, prec, buf);
    } else {
        len = exp_digits(v, prec, upper, buf);
    }
    emit(o, s, prefix, buf, (size_t)len, true);
}

/* ---------------------------------------------------------------- the formatter */

static const char *parse_spec(const char *f, spec *s, va_list *ap)
{
    *s = (spec){.prec = -1};
    for (;; f++) {
        if (*f == '-')
            s->left = true;
        else if (*f == '+')
            s->plus = true;
        else if (*f == ' ')
            s->space = true;
        else if (*f == '#')
            s->alt = true;
        else if (*f == '0')
            s->zero = true;
        else
            break;
    }
    if (*f == '*') {
        s->width = va_arg(*ap, int);
        if (s->width < 0) {
            s->left = true;
            s->width = -s->width;
        }
        f++;
    }
    while (*f >= '0' && *f <= '9') s->width = s->width * 10 + (*f++ - '0');
    if (*f == '.') {
        f++;
        s->prec = 0;
        if (*f == '*') {
            s->prec = va_arg(*ap, int);
            f++;
        }
        while (*f >= '0' && *f <= '9') s->prec = s->prec * 10 + (*f++ - '0');
    }
    if (f[0] == 'h' && f[1] == 'h') {
        s->len = 'H';
        f += 2;
    } else if (*f == 'h') {
        s->len = 'h';
        f++;
    } else if (f[0] == 'l' && f[1] == 'l') {
        s->len = 'L';
        f += 2;
    } else if (*f == 'l' || *f == 'j' || *f == 'z' || *f == 't' || *f == 'L') {
        /* long, size_t and ptrdiff_t are 32-bit on wasm32; intmax_t is 64-bit */
        s->len = (*f == 'j') ? 'L' : 'l';
        f++;
    }
    return f;
}

static void fmt_signed(out *o, const spec *s, va_list *ap)
{
    int64_t v = s->len == 'L' ? va_arg(*ap, long long) : (int64_t)va_arg(*ap, int);
    if (s->len == 'H')
        v = (signed char)v;
    else if (s->len == 'h')
        v = (short)v;
    fmt_int(o, s, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0, 10, false);
}

static void fmt_unsigned(out *o, const spec *s, va_list *ap, unsigned base, bool upper)
{
    uint64_t v = s->len == 'L' ? va_arg(*ap, unsigned long long) : va_arg(*ap, unsigned);
    if (s->len == 'H')
        v = (unsigned char)v;
    else if (s->len == 'h')
        v = (unsigned short)v;
    fmt_int(o, s, v, false, base, upper);
}

static void fmt_one(out *o, spec *s, char conv, va_list *ap)
{
    switch (conv) {
    case 'd':
    case 'i':
        fmt_signed(o, s, ap);
        return;
    case 'u':
        fmt_unsigned(o, s, ap, 10, false);
        return;
    case 'x':
    case 'X':
        fmt_unsigned(o, s, ap, 16, conv == 'X');
        return;
    case 'o':
        fmt_unsigned(o, s, ap, 8, false);
        return;
    case 'p': {
        spec p = *s;
        p.alt = true;
        fmt_int(o, &p, (uintptr_t)va_arg(*ap, void *), false, 16, false);
        return;
    }
    case 'c': {
        char c = (char)va_arg(*ap, int);
        emit(o, s, "", &c, 1, false);
        return;
    }
    case 's': {
        const char *str = va_arg(*ap, const char *);
        if (!str)
            str = "(null)";
        size_t n = 0;
        while (str[n] && (s->prec < 0 || n < (size_t)s->prec)) n++;
        emit(o, s, "", str, n, false);
        return;
    }
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
    case 'a':
    case 'A':
        fmt_float(o, s, va_arg(*ap, double), conv == 'a' ? 'e' : conv == 'A' ? 'E' : conv);
        return;
    case '%':
        put(o, '%');
        return;
    default: /* unknown: print it as written */
        put(o, '%');
        put(o, conv);
    }
}

int lc_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    out o = {buf, cap, 0};
    va_list args;
    va_copy(args, ap);
    while (*fmt) {
        if (*fmt != '%') {
            put(&o, *fmt++);
            continue;
        }
        spec s;
        fmt = parse_spec(fmt + 1, &s, &args);
        if (!*fmt)
            break;
        fmt_one(&o, &s, *fmt++, &args);
    }
    va_end(args);
    if (cap > 0)
        buf[o.n < cap ? o.n : cap - 1] = 0;
    return (int)o.n;
}

int lc_format(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = lc_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

static lc_string vfmt(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = lc_vformat(NULL, 0, fmt, ap);
    char *buf = lc_alloc((size_t)n + 1);
    lc_vformat(buf, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return (lc_string){buf, (uint32_t)n};
}

lc_string lc_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lc_string s = vfmt(fmt, ap);
    va_end(ap);
    return s;
}

/* ---------------------------------------------------------------- logging */

static void vlog(int level, const char *file, uint32_t line, const char *fmt, va_list ap)
{
    char small[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = lc_vformat(small, sizeof small, fmt, ap);
    const char *msg = small;
    if ((size_t)n >= sizeof small)
        msg = vfmt(fmt, ap2).ptr;
    va_end(ap2);
    lc_sys_console_log((uint32_t)level, NULL, 0, file, file ? (uint32_t)strlen(file) : 0,
                       file ? line : UINT32_MAX, msg, (uint32_t)n);
}

void lc_log_at(int level, const char *file, uint32_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, file, line, fmt, ap);
    va_end(ap);
}

_Noreturn void lc_panic_at(const char *file, uint32_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LC_LEVEL_PANIC, file, line, fmt, ap);
    va_end(ap);
    __builtin_trap();
}

void lc_identity_to_hex(lc_identity id, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[id.bytes[31 - i] >> 4];
        out[2 * i + 1] = hex[id.bytes[31 - i] & 15];
    }
    out[64] = 0;
}
