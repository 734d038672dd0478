using OpenDesk.Serve;

return await Cli.InvokeAsync(args);
