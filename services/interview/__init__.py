"""The interview service (command side): validated commands in, events out, one writer per interview."""
