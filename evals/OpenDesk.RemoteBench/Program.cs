using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using OpenDesk.Core;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Trust;

// Remote benchmarks against a real `opendesk serve` (FakeComputer through the hidden test switch):
// 10 000 sequential and 1 000 concurrent calls on one session, 200 connect/disconnect cycles, and serve RSS idle,
// after the load and while streaming display frames. Prints one line per measurement.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string dll = args.Length > 0 ? args[0] : typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "OpenDeskDll").Value!;
string fake = Path.Combine(AppContext.BaseDirectory, "OpenDesk.Testing.dll") + "!OpenDesk.Testing.FakeComputer";
string root = Path.Combine(Path.GetTempPath(), "od-bench-" + Guid.NewGuid().ToString("N")[..8]);
string serverHome = Path.Combine(root, "s"), clientHome = Path.Combine(root, "c");
int port = FreePort();

Process Start(params string[] a)
{
    var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    info.ArgumentList.Add(dll);
    foreach (string x in a)
    {
        info.ArgumentList.Add(x);
    }

    info.Environment["OPENDESK_TEST_COMPUTER"] = fake;
    return Process.Start(info)!;
}

static async Task WaitLineAsync(Process p, string prefix)
{
    while (await p.StandardOutput.ReadLineAsync() is { } line)
    {
        if (line.StartsWith(prefix, StringComparison.Ordinal))
        {
            return;
        }
    }

    throw new InvalidOperationException("process ended: " + await p.StandardError.ReadToEndAsync());
}

static double RssMb(int pid)
{
    foreach (string line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
    }

    return double.NaN;
}

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}

try
{
    string portText = port.ToString(CultureInfo.InvariantCulture);
    using (Process pair = Start("pair", "--home", serverHome, "--host", "127.0.0.1", "--port", portText, "--no-mdns", "--code", "123456"))
    {
        await WaitLineAsync(pair, "opendesk pair listening");
        await using RemoteComputer paired = await OpenDeskClient.PairWithAsync("127.0.0.1", "123456", port, "bench", new OpenDeskClientOptions { Home = new OpenDeskHome(clientHome), UseMdns = false });
        await paired.DisposeAsync();
        await pair.WaitForExitAsync();
    }

    using Process serve = Start("serve", "--home", serverHome, "--host", "127.0.0.1", "--port", portText, "--no-mdns", "--no-audit");
    await WaitLineAsync(serve, "opendesk serve listening");
    var options = new OpenDeskClientOptions { Home = new OpenDeskHome(clientHome), UseMdns = false };
    await using RemoteComputer remote = await OpenDeskClient.ConnectAsync("bench", options);
    await remote.Display.GetCursorPositionAsync(default);
    await Task.Delay(2000);
    double idle = RssMb(serve.Id);
    Console.WriteLine($"serve RSS idle (one session): {idle:0.0} MB");

    for (int i = 0; i < 500; i++)
    {
        await remote.Display.GetCursorPositionAsync(default);
    }

    double beforeLoad = RssMb(serve.Id);
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < 10_000; i++)
    {
        await remote.Display.GetCursorPositionAsync(default);
    }

    sw.Stop();
    Console.WriteLine($"10000 sequential display.cursor_position: {sw.Elapsed.TotalSeconds:0.00} s ({10_000 / sw.Elapsed.TotalSeconds:0} calls/s, {sw.Elapsed.TotalMilliseconds * 1000 / 10_000:0} µs/call); serve RSS {RssMb(serve.Id):0.0} MB");

    sw.Restart();
    int errors = 0;
    await Task.WhenAll(Enumerable.Range(0, 1000).Select(async _ =>
    {
        try
        {
            await remote.Windows.ListAsync(default);
        }
        catch (OpenDeskException)
        {
            Interlocked.Increment(ref errors);
        }
    }));
    sw.Stop();
    double afterLoad = RssMb(serve.Id);
    Console.WriteLine($"1000 concurrent windows.list: {sw.Elapsed.TotalMilliseconds:0} ms, {errors} errors; serve RSS {afterLoad:0.0} MB (growth vs. warm {100 * (afterLoad - beforeLoad) / beforeLoad:+0.0;-0.0} %)");

    // A second identical round: growth here (rather than in the first, which includes JIT tiering) would be a leak.
    for (int i = 0; i < 10_000; i++)
    {
        await remote.Display.GetCursorPositionAsync(default);
    }

    await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => remote.Windows.ListAsync(default).AsTask()));
    double secondRound = RssMb(serve.Id);
    Console.WriteLine($"second round (10000 sequential + 1000 concurrent): serve RSS {secondRound:0.0} MB (growth vs. end of first round {100 * (secondRound - afterLoad) / afterLoad:+0.0;-0.0} %)");

    await remote.DisposeAsync();
    sw.Restart();
    for (int i = 0; i < 200; i++)
    {
        await using RemoteComputer c = await OpenDeskClient.ConnectAsync("bench", options);
        await c.Display.GetCursorPositionAsync(default);
    }

    sw.Stop();
    Console.WriteLine($"200 connect+call+disconnect cycles: {sw.Elapsed.TotalSeconds:0.00} s ({sw.Elapsed.TotalMilliseconds / 200:0.0} ms/cycle); serve RSS {RssMb(serve.Id):0.0} MB");

    await using RemoteComputer streamer = await OpenDeskClient.ConnectAsync("bench", options);
    using var streamFor = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    int frames = 0;
    long bytes = 0;
    double peak = 0;
    sw.Restart();
    try
    {
        await foreach (DisplayFrame f in streamer.Display.SubscribeAsync(new DisplayStreamOptions(Fps: 30), streamFor.Token))
        {
            frames++;
            bytes += f.Pixmap.Data.Length;
            if (frames % 10 == 0)
            {
                peak = Math.Max(peak, RssMb(serve.Id));
            }
        }
    }
    catch (OperationCanceledException)
    {
    }

    sw.Stop();
    Console.WriteLine($"display.subscribe 30 fps for {sw.Elapsed.TotalSeconds:0.0} s: {frames} frames ({frames / sw.Elapsed.TotalSeconds:0.0} fps, {bytes / frames / 1024.0:0} KiB/frame {FakeFrame()}); serve RSS peak {peak:0.0} MB");
    serve.Kill();
    await serve.WaitForExitAsync();
}
finally
{
    try
    {
        Directory.Delete(root, recursive: true);
    }
    catch (IOException)
    {
    }
}

static string FakeFrame() => "FakeComputer 1280x800 PNG";
