#!/usr/bin/perl
# Prints a TCP port on 127.0.0.1 that nothing listens on now and that is not
# among the arguments (ports already handed out); exits 1 if none is found.
# Used by scripts/demo.sh and bench/bench.sh.
use strict;
use warnings;
use IO::Socket::INET;

my %taken = map { $_ => 1 } @ARGV;
for (1 .. 500)
{
	my $port = 20000 + int(rand(30000));
	next if $taken{$port};
	my $s = IO::Socket::INET->new(
		LocalAddr => '127.0.0.1',
		LocalPort => $port,
		Proto => 'tcp',
		Listen => 1,
		ReuseAddr => 1) or next;
	close $s;
	print "$port\n";
	exit 0;
}
exit 1;
