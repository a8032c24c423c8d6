// The `kongsi` executable: daemon and CLI in one binary.
#include "server/cli.h"

int main(int argc, char** argv) { return kongsi::server::RunCli(argc, argv); }
