// The board's domain (configuration, services, repository) is part of the reference app's API.
@_exported import RampartBoard
