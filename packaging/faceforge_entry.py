"""The frozen ``faceforge`` executable's entry point: the same CLI as the installed console script."""

from faceforge_cli.main import main

if __name__ == "__main__":
    main()
