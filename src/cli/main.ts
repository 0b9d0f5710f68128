/** The `stratus` command line: dispatches to one command module per verb. */
console.error('stratus: no commands yet');
process.exitCode = 1;
