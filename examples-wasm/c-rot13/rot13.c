/*
 * rot13: a lode transform written in C as a WASI command (any-language style).
 *
 * The object arrives on stdin; its rot13 goes to stdout. ETL_ARGS "upper" also upper-cases
 * the result. One line goes to stderr (the ETL's log) with the object name and byte count.
 * A read or write error exits non-zero, which fails the object.
 *
 * Build: clang --target=wasm32-wasi --sysroot=<wasi-libc sysroot> -O2 -o rot13_c.wasm rot13.c
 * (scripts/build-wasm.sh does this).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char rot13(unsigned char c) {
    if (c >= 'a' && c <= 'z') return (unsigned char)('a' + (c - 'a' + 13) % 26);
    if (c >= 'A' && c <= 'Z') return (unsigned char)('A' + (c - 'A' + 13) % 26);
    return c;
}

int main(void) {
    const char *args = getenv("ETL_ARGS");
    const char *object = getenv("ETL_OBJECT");
    int upper = args != NULL && strcmp(args, "upper") == 0;
    static unsigned char buf[64 * 1024];
    unsigned long long total = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = rot13(buf[i]);
            buf[i] = upper ? (unsigned char)toupper(c) : c;
        }
        if (fwrite(buf, 1, n, stdout) != n) {
            fprintf(stderr, "rot13: write failed\n");
            return 1;
        }
        total += n;
    }
    if (ferror(stdin)) {
        fprintf(stderr, "rot13: read failed\n");
        return 1;
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "rot13: write failed\n");
        return 1;
    }
    fprintf(stderr, "rot13: %s: %llu bytes%s\n", object ? object : "(no object)", total,
            upper ? " (upper)" : "");
    return 0;
}
