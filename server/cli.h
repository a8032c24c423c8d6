#pragma once

namespace kongsi::server {

// Parses the command line and runs one subcommand. Returns the exit code.
int RunCli(int argc, char** argv);

}  // namespace kongsi::server
