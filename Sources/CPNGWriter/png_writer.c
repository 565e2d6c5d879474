#include "png_writer.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/* libpng's simplified write API cannot write 1-bit images or a pHYs chunk, so this file uses the
 * classic API. Its error handler must not return, so it longjmps back to the setjmp below. Both
 * ends of that jump are in this file: no Swift frame lies between them. */

typedef struct {
    unsigned char *data;
    size_t size;
    size_t capacity;
    char *message;
    size_t message_capacity;
} vax_png_sink;

static void vax_png_write_data(png_structp png, png_bytep bytes, size_t length) {
    vax_png_sink *sink = png_get_io_ptr(png);
    if (sink->size + length > sink->capacity) {
        size_t capacity = sink->capacity ? sink->capacity : 1024;
        while (capacity < sink->size + length) capacity *= 2;
        unsigned char *grown = realloc(sink->data, capacity);
        if (grown == NULL) png_error(png, "out of memory");
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->data + sink->size, bytes, length);
    sink->size += length;
}

static void vax_png_flush(png_structp png) { (void)png; }

static void vax_png_error(png_structp png, png_const_charp message) {
    vax_png_sink *sink = png_get_error_ptr(png);
    if (sink->message_capacity > 0) {
        strncpy(sink->message, message, sink->message_capacity - 1);
        sink->message[sink->message_capacity - 1] = '\0';
    }
    png_longjmp(png, 1);
}

static void vax_png_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

int vax_png_encode_gray(const unsigned char *rows, uint32_t width, uint32_t height,
                        int bit_depth, size_t row_bytes, uint32_t pixels_per_metre,
                        int compression_level, unsigned char **out, size_t *out_size,
                        char *message, size_t message_capacity) {
    vax_png_sink sink = {NULL, 0, 0, message, message_capacity};
    if (message_capacity > 0) message[0] = '\0';
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, vax_png_error,
                                              vax_png_warning);
    if (png == NULL) {
        if (message_capacity > 0) strncpy(message, "cannot create write struct", message_capacity - 1);
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    /* volatile: modified between setjmp and a possible longjmp. */
    volatile int status = -1;
    if (info != NULL && setjmp(png_jmpbuf(png)) == 0) {
        png_set_write_fn(png, &sink, vax_png_write_data, vax_png_flush);
        png_set_compression_level(png, compression_level);
        png_set_IHDR(png, info, width, height, bit_depth, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        if (pixels_per_metre > 0) {
            png_set_pHYs(png, info, pixels_per_metre, pixels_per_metre, PNG_RESOLUTION_METER);
        }
        png_write_info(png, info);
        for (uint32_t y = 0; y < height; y++) {
            png_write_row(png, (png_const_bytep)(rows + (size_t)y * row_bytes));
        }
        png_write_end(png, NULL);
        status = 0;
    } else if (info == NULL && message_capacity > 0) {
        strncpy(message, "cannot create info struct", message_capacity - 1);
    }
    png_destroy_write_struct(&png, info ? &info : NULL);
    if (status != 0) {
        free(sink.data);
        return -1;
    }
    *out = sink.data;
    *out_size = sink.size;
    return 0;
}

void vax_png_free(unsigned char *buffer) { free(buffer); }
