#ifndef VAX_PNG_WRITER_H
#define VAX_PNG_WRITER_H

#include <stddef.h>
#include <stdint.h>

/// Encodes grayscale rows (bit depth 1, 2, 4, 8 or 16, packed as PNG stores them) into a PNG in
/// memory, with a pHYs chunk when `pixels_per_metre` is non-zero.
/// Returns 0 on success and stores a malloc'd buffer in `*out` (free it with vax_png_free);
/// on failure returns -1 and copies libpng's message into `message`.
int vax_png_encode_gray(const unsigned char *rows, uint32_t width, uint32_t height,
                        int bit_depth, size_t row_bytes, uint32_t pixels_per_metre,
                        int compression_level, unsigned char **out, size_t *out_size,
                        char *message, size_t message_capacity);

/// Frees a buffer returned by vax_png_encode_gray.
void vax_png_free(unsigned char *buffer);

#endif
