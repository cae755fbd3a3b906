// hello-c: a Mesh function as a plain C program against wasi-libc: its input is stdin, its
// output stdout. It logs through sdk/c/mesh.h (needs the log capability), which works beside
// libc. Build: scripts/build-examples.sh (clang --target=wasm32-wasi).
#include <stdio.h>
#include <string.h>
#include "../../sdk/c/mesh.h"

int main(void) {
  char name[1024];
  size_t n = fread(name, 1, sizeof name - 1, stdin);
  while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == ' ')) n--;
  name[n] = 0;
  if (n == 0) {
    fputs("say who to greet\n", stderr);
    return 2;
  }

  mesh_log_text(MESH_INFO, "greeting from C");
  printf("Hello from C, %s!", name);
  return 0;
}
