from schoolperf.cli import main

main()
