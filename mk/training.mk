# Training on this machine: the reference job in a local SageMaker-shaped folder, and the benchmarks.
# The multi-host tests and `make bench` simulate a job's hosts with network namespaces (ip netns, root).
SYSTEM_PACKAGES += iproute2

##@ Training: on this machine, no AWS
.PHONY: demo bench

demo: $(INSTALLED) ## train and tune on real handwritten digits in a local SageMaker-shaped folder (no AWS)
	$(PY) -m launcher demo --root demo

bench: $(INSTALLED) ## measure throughput, tune efficiency, cold start and multi-host jobs; writes bench/results/
	$(PY) -m bench.training $(BENCH_ARGS)
	$(PY) -m bench.hosts $(BENCH_HOSTS_ARGS)
