# Training on this machine: the reference job in a local SageMaker-shaped folder, and the benchmarks.
# The multi-host tests and `make bench` simulate a job's hosts with network namespaces (ip netns, root);
# one test makes a host's raylet unreachable with nftables.
SYSTEM_PACKAGES += iproute2 nftables

##@ Training: on this machine, no AWS
.PHONY: demo bench

demo: $(INSTALLED) ## train and tune on real handwritten digits in a local SageMaker-shaped folder (no AWS)
	$(PY) -m launcher demo --root demo

bench: $(INSTALLED) ## measure throughput, tune efficiency, cold start and multi-host jobs; writes bench/results/
	$(PY) -m bench.training $(BENCH_ARGS)
	$(PY) -m bench.hosts $(BENCH_HOSTS_ARGS)
