// Image helpers private to src/data.
#pragma once

namespace powertrain {

// Antialiased linear resize of an RGB uint8 HWC image.
void resize_rgb(const unsigned char* in, int in_height, int in_width, unsigned char* out, int height,
                int width);

}  // namespace powertrain
