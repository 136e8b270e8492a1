using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SharpServe.Server.Errors;

/// <summary>
/// Turns every exception a request raises into an OpenAI error response, so no request can crash the
/// server or leak a stack trace; a client that went away is not an error.
/// </summary>
public sealed class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client disconnected; the generation was aborted on the way out.
        }
        catch (Exception exception)
        {
            int? status = ErrorResponses.StatusOf(exception);
            if (status is null)
            {
                logger.LogError(exception, "request {Path} failed", context.Request.Path);
            }

            if (!context.Response.HasStarted)
            {
                string message = status is null ? "internal server error" : exception.Message;
                await ErrorResponses.WriteAsync(context.Response, status ?? StatusCodes.Status500InternalServerError, message, (exception as ApiException)?.Param);
            }
        }
    }
}
