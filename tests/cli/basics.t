# The front end itself: version, help, unknown commands.
$ trainsim --version
> trainsim 0.1.0
$ trainsim nosuch
> trainsim: 'nosuch' is not a trainsim command (see 'trainsim --help')
? 2
$ trainsim help nosuch
> trainsim help: unknown command 'nosuch' (see 'trainsim --help')
? 2
