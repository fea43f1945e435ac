collect_ignore: list
