/* The C reference for `vaxticket qr --texts`: libqrencode + libpng in one process, one 1-bit
 * grayscale PNG per line, the same quiet zone, module size and ECC. Built by scripts/bench.
 * Usage: qr_png_reference TEXTS_FILE OUT_DIR MODULE_PX */
#include <png.h>
#include <qrencode.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_png(const char *path, const QRcode *code, int module_px, int quiet) {
    int side = (code->width + 2 * quiet) * module_px;
    int row_bytes = (side + 7) / 8;
    unsigned char *row = malloc(row_bytes);
    FILE *file = fopen(path, "wb");
    if (!file || !row) return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(file);
        free(row);
        return -1;
    }
    png_init_io(png, file);
    png_set_IHDR(png, info, side, side, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    memset(row, 0xFF, row_bytes);
    for (int i = 0; i < quiet * module_px; i++) png_write_row(png, row);
    for (int y = 0; y < code->width; y++) {
        memset(row, 0xFF, row_bytes);
        for (int x = 0; x < code->width; x++) {
            if (code->data[y * code->width + x] & 1) {
                for (int p = (x + quiet) * module_px; p < (x + quiet + 1) * module_px; p++)
                    row[p >> 3] &= ~(0x80 >> (p & 7));
            }
        }
        for (int i = 0; i < module_px; i++) png_write_row(png, row);
    }
    memset(row, 0xFF, row_bytes);
    for (int i = 0; i < quiet * module_px; i++) png_write_row(png, row);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    fclose(file);
    free(row);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s TEXTS_FILE OUT_DIR MODULE_PX\n", argv[0]);
        return 2;
    }
    FILE *texts = fopen(argv[1], "r");
    if (!texts) { perror(argv[1]); return 1; }
    int module_px = atoi(argv[3]);
    char line[8192], path[4096];
    int n = 0;
    while (fgets(line, sizeof line, texts)) {
        line[strcspn(line, "\r\n")] = 0;
        n++;
        if (!*line) continue;
        QRcode *code = QRcode_encodeString(line, 0, QR_ECLEVEL_Q, QR_MODE_8, 1);
        if (!code) { perror("QRcode_encodeString"); return 1; }
        snprintf(path, sizeof path, "%s/%05d.png", argv[2], n);
        if (write_png(path, code, module_px, 4) != 0) { fprintf(stderr, "png failed\n"); return 1; }
        QRcode_free(code);
    }
    fclose(texts);
    return 0;
}
