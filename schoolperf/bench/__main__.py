from schoolperf.bench import main

main()
