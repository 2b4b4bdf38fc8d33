// Command listwash washes contact lists: one binary, several subcommands.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "listwash: under construction")
	os.Exit(2)
}
