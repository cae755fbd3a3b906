// reverse: replies with its input reversed (bytes), and logs its length. A Mesh function in C,
// built against sdk/c/mesh.h by scripts/build-examples.sh.
#include "../../sdk/c/mesh.h"

static uint8_t buffer[64 * 1024];

MESH_EXPORT(run) int32_t run(int32_t input_len) {
  if (input_len > (int32_t)sizeof buffer) {
    return mesh_fail("input larger than 64 KiB");
  }

  int32_t n = mesh_read_input(buffer, input_len);
  for (int32_t i = 0, j = n - 1; i < j; i++, j--) {
    uint8_t swap = buffer[i];
    buffer[i] = buffer[j];
    buffer[j] = swap;
  }

  mesh_log_text(MESH_INFO, "reversed the input");
  mesh_write_output(buffer, n);
  return MESH_OK;
}
