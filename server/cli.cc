#include "server/cli.h"

#include <iostream>

namespace kongsi::server {

int RunCli(int argc, char** argv) {
  std::cerr << "kongsi: not yet wired\n";
  return 2;
}

}  // namespace kongsi::server
