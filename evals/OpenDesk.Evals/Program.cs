Console.WriteLine("OpenDesk evals: no scenarios yet.");
return 0;
