# Where a job's CPU goes, by process role and by what the stack shows.
#
# Input: `perf script -F comm,pid,ip,sym` of a `perf record -a --call-graph
# dwarf` over a batch of jobs on the bench servers, given twice (the first
# pass names each postgres process's role from any of its stacks, the
# second counts its samples):
#
#   perf record -a --call-graph dwarf,16384 -F 2000 -o job.data -- <bench_client jobs ...>
#   perf script -i job.data -F comm,pid,ip,sym > job.txt
#   awk -f bench/perf_roles.awk job.txt job.txt
#
# Roles: the job's session backend (it runs the job's loop), a partner
# backend (the endpoint of a partner's calls), the audit writer, and other
# postgres processes. Each sample goes to the first category its stack
# matches, in the order below, so a sample is counted once.
/^[^ \t]/ { if (inside) flush(); inside = 1; comm = $1; pid = $2; stack = ""; next }
/^$/ { if (inside) flush(); inside = 0; next }
{ s = $2; sub(/\+0x.*/, "", s); stack = stack " " s }
function flush() {
	if (FNR == NR) {
		if (comm != "postgres") return
		if (stack ~ / smpc_exchange( |$)| smpc_deliver( |$)/) role[pid] = "partner backend (the endpoint of partners' calls)"
		else if (stack ~ /smpc_audit_writer|smpc_audit_drain/) role[pid] = "audit writer"
		else if (stack ~ /smpc_exchange_loop|smpc_peer_send|AggregationJob/ && role[pid] == "") role[pid] = "job's session backend"
		return
	}
	all++
	if (comm == "swapper") { idle++; return }
	if (comm != "postgres") { other++; return }
	tot++
	r = (pid in role) ? role[pid] : "other postgres processes (WAL writer, postmaster, ...)"
	if (stack ~ /smpc_audit_writer|smpc_audit_drain|smpc_audit_write_batch/) k = "its batches' transactions"
	else if (stack ~ /smpc_audit_file|durable_rename/) k = "the attempt's file on disk, before the job"
	else if (stack ~ /smpc_job_record|smpc_write_pending/) k = "the job's row in smpc.jobs"
	else if (stack ~ / smpc_exchange( |$)| smpc_deliver( |$)/) k = "smpc's endpoint code (receive, inbox, handover)"
	else if (stack ~ /smpc_peer_|PQsend|PQgetResult|PQconsumeInput|pqsecure|SSL_/) k = "calls and TLS (libpq, OpenSSL)"
	else if (stack ~ /smpc::protocol|smpc::crypto/) k = "the protocol (smpc::protocol, smpc::crypto)"
	else if (stack ~ /smpc_audit/) k = "the job's audit records (queueing; waiting for the opened commit)"
	else if (stack ~ /WaitEventSetWait|WaitLatch/) k = "waiting and waking (latch, epoll)"
	else if (stack ~ / smpc_/) k = "smpc's other code (the job's checks and set-up, the aggregate's state)"
	else if (stack ~ /exec_simple_query|exec_execute_message|exec_bind_message|exec_parse_message|PostgresMain|ReadCommand|pq_getbyte|secure_read|secure_write|pq_flush/) k = "PostgreSQL's own statement path (read, parse, plan, executor, security-definer settings, commit)"
	else k = "other"
	c[r " | " k]++
	rt[r]++
}
END {
	printf "samples %d: idle %.1f %%, postgres %.1f %%, other commands %.1f %%\n", all, 100 * idle / all, 100 * tot / all, 100 * other / all
	for (r in rt) printf "%5.1f %% of postgres samples  %s\n", 100 * rt[r] / tot, r | "sort -rn"
	close("sort -rn")
	for (k in c) printf "  %5.1f %%  %s\n", 100 * c[k] / tot, k | "sort -t'|' -k1,1 -k2"
}
