from opscontext.cli import main

main()
