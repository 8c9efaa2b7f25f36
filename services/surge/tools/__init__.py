"""What operators run: the throughput and latency benchmark, and the tables' sizes one."""
